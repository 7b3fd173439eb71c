"""The review database: tables, migrations, repositories. Knows the contract types, not the web app."""
