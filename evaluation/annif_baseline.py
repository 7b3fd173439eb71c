"""Annif baseline: train and run Annif on the same train/dev/test split as ffbcoder.

Annif (the National Library of Finland's subject indexing tool) runs in a virtual environment of its
own at ``.cache/annif-venv``; this script only uses the standard library and drives Annif through
that environment's ``annif`` executable and ``python``. All Annif state (vocabulary, projects,
models, NLTK data) lives under ``.cache/annif-work``. Run from the repository root:

    .venv/bin/python evaluation/annif_baseline.py --train annotations/train.jsonl \\
        --dev annotations/dev.jsonl --test annotations/test.jsonl --out evaluation/out/annif

Steps: (1) create the Annif venv once (pinned Annif, only the ``omikuji`` extra; no torch),
(2) train a Danish punkt sentence tokenizer locally (nothing can be downloaded here), (3) export
the catalogue as SKOS Turtle and load it, (4) write projects.cfg (tfidf, mllm, omikuji, ensemble;
language ``da``, analyzer ``snowball(danish)``) and train on the train split, (5) tune each
project's limit/threshold for micro-F1 on dev, (6) suggest for dev and test and write
``<out>/<project>-test.jsonl`` (and ``-dev.jsonl``) plus ``<out>/summary.json``, (7) print a table.
See evaluation/ANNIF.md for the details and the workarounds (punkt data, mllm negatives).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGUE = ROOT / "src" / "ffbcoder" / "catalogue" / "data" / "ffb-bu-udkast.json"

ANNIF_VERSION = "1.4.3"
ANNIF_EXTRAS = ("omikuji",)
# Heavy optional stacks that this baseline must not pull in (an unpinned torch is a multi-GB CUDA build).
FORBIDDEN_PACKAGES = ("torch", "tensorflow", "tensorflow-cpu", "fasttext", "fasttext-numpy2", "spacy")
REPORTED_PACKAGES = ("annif", "nltk", "omikuji", "scikit-learn", "numpy", "scipy", "rdflib", "simplemma")

URI_BASE = "http://ffbcoder.invalid/ffb-bu/"
SCHEME_URI = URI_BASE[:-1]
COLLECTION_BASE = URI_BASE + "tema/"
# Zero-code notes carry a placeholder subject in the training corpus: Annif drops training documents
# without subjects, and these notes are where most uncoded (negated, hypothetical, ...) vocabulary
# terms occur, which mllm needs as negative examples. It is filtered out of every ranking.
NO_CODE_ID = "ingen-kode"
NO_CODE_URI = URI_BASE + "_" + NO_CODE_ID
VOCAB_ID = "ffb"
LANGUAGE = "da"
ANALYZER = "snowball(danish)"
PROJECTS = ("tfidf", "mllm", "omikuji", "ensemble")
TRAINED_PROJECTS = ("tfidf", "mllm", "omikuji")
RANKING_LIMIT = 100  # more than the catalogue has concepts: keep every score Annif gives
TIMING_REPEATS = 3
TUNE_LIMITS = tuple(range(1, 11))
TUNE_THRESHOLDS = tuple(round(i * 0.01, 2) for i in range(100))

# Common Danish abbreviations added to the punkt model on top of those it learns, so that
# "bl.a.", "jf." or "kl." do not end a sentence.
DANISH_ABBREVIATIONS = (
    "ang",
    "bl.a",
    "ca",
    "d.d",
    "dvs",
    "evt",
    "f.eks",
    "fx",
    "hhv",
    "ift",
    "iflg",
    "inkl",
    "jf",
    "jvf",
    "kl",
    "kr",
    "m.fl",
    "m.m",
    "mdr",
    "mht",
    "mhp",
    "mv",
    "nr",
    "o.l",
    "osv",
    "p.t",
    "pga",
    "pr",
    "pt",
    "tlf",
    "vedr",
)
PUNKT_LANGUAGES = ("danish", "english")  # Annif's analyzers call nltk with the default "english"

PUNKT_HELPER = '''\
"""Train a punkt sentence tokenizer on local Danish text and install it as NLTK data."""
import json
import pickle
import sys
from pathlib import Path

import nltk
from nltk.tokenize import punkt

text_path, out_dir, languages, abbreviations, sample = sys.argv[1:6]
trainer = punkt.PunktTrainer()
trainer.INCLUDE_ALL_COLLOCS = True
trainer.train(Path(text_path).read_text(encoding="utf-8"), finalize=True)
params = trainer.get_params()
learned = sorted(params.abbrev_types)
params.abbrev_types.update(a for a in abbreviations.split(",") if a)
tokenizers = Path(out_dir) / "tokenizers"
if hasattr(punkt, "save_punkt_params"):  # nltk >= 3.8.2 loads tab files from punkt_tab/<lang>/
    fmt = "punkt_tab"
    for lang in languages.split(","):
        target = tokenizers / "punkt_tab" / lang
        target.mkdir(parents=True, exist_ok=True)
        punkt.save_punkt_params(params, dir=str(target))
else:  # older nltk loads pickled tokenizers from punkt/<lang>.pickle
    fmt = "punkt"
    (tokenizers / "punkt").mkdir(parents=True, exist_ok=True)
    for lang in languages.split(","):
        with open(tokenizers / "punkt" / f"{lang}.pickle", "wb") as fh:
            pickle.dump(punkt.PunktSentenceTokenizer(params), fh)
nltk.data.path.insert(0, out_dir)
nltk.data.find(f"tokenizers/{fmt}")
checks = {lang: nltk.tokenize.sent_tokenize(sample, language=lang) for lang in languages.split(",")}
print(json.dumps({"format": fmt, "nltk": nltk.__version__, "learned_abbreviations": learned,
                  "abbreviations": len(params.abbrev_types), "sent_starters": len(params.sent_starters),
                  "collocations": len(params.collocations), "check": checks}))
'''

MLLM_STATS_HELPER = '''\
"""Count the positive and negative candidates in mllm's cached training data."""
import json
import sys

import joblib
import numpy as np

x, y = joblib.load(sys.argv[1])
y = np.asarray(y, dtype=bool)
print(json.dumps({"candidates": int(y.size), "positive": int(y.sum()), "negative": int((~y).sum())}))
'''

TIMING_HELPER = '''\
"""Warm throughput: load each project once, then time suggesting every document of a corpus
(median of a few repeats)."""
import json
import sys
import time

import annif
import annif.corpus
import annif.registry

corpus_path, projects, repeats = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
app = annif.create_flask_app("annif.default_config.Config")
out = {}
with app.app_context():
    for project_id in projects:
        started = time.perf_counter()
        project = annif.registry.get_project(project_id)
        project.initialize()
        corpus = annif.corpus.DocumentFileJSONL(corpus_path, project.subjects, "da", require_subjects=False)
        docs = list(corpus.documents)
        list(project.suggest(docs[:1]))  # warm-up: first call builds lazy state
        load_seconds = time.perf_counter() - started
        runs = []
        for _ in range(repeats):
            begin = time.perf_counter()
            n = sum(1 for _ in project.suggest_corpus(annif.corpus.DocumentList(docs)))
            runs.append(time.perf_counter() - begin)
        out[project_id] = {"load_seconds": load_seconds, "seconds": sorted(runs)[len(runs) // 2],
                           "runs": runs, "notes": n}
print(json.dumps(out))
'''


class StepError(RuntimeError):
    """A step of the baseline failed; the message says which and why."""


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    description: str
    guidance: str
    synonyms: tuple[str, ...]
    examples: tuple[str, ...]
    path: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    codes: tuple[str, ...]


@dataclass
class Paths:
    """Where the Annif venv, its working state and the outputs live."""

    cache: Path
    out: Path
    venv: Path = field(init=False)
    work: Path = field(init=False)

    def __post_init__(self) -> None:
        self.venv = self.cache / "annif-venv"
        self.work = self.cache / "annif-work"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def annif(self) -> Path:
        return self.venv / "bin" / "annif"

    @property
    def nltk_data(self) -> Path:
        return self.work / "nltk_data"

    @property
    def datadir(self) -> Path:
        return self.work / "data"

    @property
    def corpora(self) -> Path:
        return self.work / "corpora"

    @property
    def helpers(self) -> Path:
        return self.work / "helpers"

    @property
    def projects_cfg(self) -> Path:
        return self.work / "projects.cfg"


# ----------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[annif-baseline] {message}", flush=True)


def run(
    cmd: Sequence[str | Path],
    step: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run a command (argument list, no shell); raise StepError with its output tail on failure."""
    args = [str(c) for c in cmd]
    try:
        proc = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as err:
        raise StepError(f"{step}: cannot run {args[0]}: {err}") from err
    except subprocess.TimeoutExpired as err:
        raise StepError(f"{step}: timed out after {timeout:.0f} s: {' '.join(args)}") from err
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + "\n" + proc.stderr).strip().splitlines()[-25:])
        raise StepError(f"{step}: exit code {proc.returncode} from {' '.join(args)}\n{tail}")
    return proc


def sha256(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def write_if_changed(path: Path, text: str) -> bool:
    """Write text to path unless it already holds exactly that; return whether it changed."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def concept_uri(concept_id: str) -> str:
    return URI_BASE + concept_id


def uri_to_code(uri: str) -> str | None:
    """Map an Annif subject URI back to a catalogue concept id (None for the placeholder)."""
    if uri == NO_CODE_URI or not uri.startswith(URI_BASE):
        return None
    return uri[len(URI_BASE) :]


# ----------------------------------------------------------------------------- inputs


def load_catalogue(path: Path) -> tuple[dict[str, Any], list[Concept]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise StepError(f"reading catalogue {path}: {err}") from err
    concepts = [
        Concept(
            id=c["id"],
            label=c["label"],
            description=c.get("description", ""),
            guidance=c.get("guidance", ""),
            synonyms=tuple(c.get("synonyms", [])),
            examples=tuple(c.get("examples", [])),
            path=tuple(c.get("path", [])),
        )
        for c in data["concepts"]
    ]
    info = {k: v for k, v in data.items() if k != "concepts"}
    return info, concepts


def load_notes(path: Path, known: set[str]) -> list[Note]:
    notes: list[Note] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise StepError(f"reading gold notes {path}: {err}") from err
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            note = Note(id=str(row["id"]), text=str(row["text"]), codes=tuple(row["codes"]))
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise StepError(f"{path}:{lineno}: not a gold note ({err})") from err
        unknown = sorted(set(note.codes) - known)
        if unknown:
            raise StepError(f"{path}:{lineno}: codes not in the catalogue: {', '.join(unknown)}")
        notes.append(note)
    if not notes:
        raise StepError(f"{path}: no notes")
    return notes


# ----------------------------------------------------------------------------- step 1: venv


def ensure_venv(paths: Paths, version: str) -> dict[str, str]:
    """Create the Annif venv once (reused while its stamp matches) and return installed versions."""
    spec = f"annif[{','.join(ANNIF_EXTRAS)}]=={version}"
    stamp = paths.venv / ".ffbcoder-annif-spec"
    if not (stamp.exists() and stamp.read_text(encoding="utf-8") == spec and paths.annif.exists()):
        if paths.venv.exists():
            log(f"removing stale Annif venv at {paths.venv}")
            shutil.rmtree(paths.venv)
        log(f"creating Annif venv at {paths.venv} and installing {spec} (takes about a minute)")
        base_python = getattr(sys, "_base_executable", sys.executable)
        run([base_python, "-m", "venv", paths.venv], "creating the Annif venv")
        run(
            [paths.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec],
            f"pip install {spec}",
            timeout=1800,
        )
        stamp.write_text(spec, encoding="utf-8")
    proc = run(
        [paths.python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        "listing the Annif venv's packages",
    )
    installed = {p["name"].lower(): p["version"] for p in json.loads(proc.stdout)}
    bad = sorted(name for name in FORBIDDEN_PACKAGES if name in installed)
    if bad:
        raise StepError(
            f"the Annif venv pulled in packages it must not have: {', '.join(bad)} "
            f"(delete {paths.venv} and check the extras)"
        )
    if installed.get("annif") != version:
        raise StepError(f"the Annif venv has annif {installed.get('annif')}, expected {version}")
    versions = {name: installed[name] for name in REPORTED_PACKAGES if name in installed}
    versions["python"] = run(
        [paths.python, "-c", "import platform; print(platform.python_version())"], "reading the venv's Python version"
    ).stdout.strip()
    return versions


def annif_env(paths: Paths) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNIF_", "NLTK_", "VIRTUAL_ENV"))}
    env.update(
        {
            "ANNIF_PROJECTS": str(paths.projects_cfg),
            "ANNIF_DATADIR": str(paths.datadir),
            "NLTK_DATA": str(paths.nltk_data),
            "HF_HUB_OFFLINE": "1",
            "PYTHONHASHSEED": "0",
            "PATH": f"{paths.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def write_helper(paths: Paths, name: str, source: str) -> Path:
    path = paths.helpers / name
    write_if_changed(path, source)
    return path


# ----------------------------------------------------------------------------- step 2: punkt


def ensure_punkt(
    paths: Paths, concepts: Sequence[Concept], train: Sequence[Note], env: Mapping[str, str]
) -> dict[str, Any]:
    """Train punkt on the catalogue texts and the train notes, installed for nltk under NLTK_DATA.

    Annif's analyzers call nltk's sent_tokenize/word_tokenize with nltk's default language
    ("english") and check for the "punkt_tab" package, so the Danish model is installed under
    both names. Only train notes are used (no dev/test text).
    """
    chunks: list[str] = []
    for c in concepts:
        chunks.append(f"{c.label}. {c.description} {c.guidance}")
        chunks.extend(e[:1].upper() + e[1:] + "." for e in c.examples)
    chunks.extend(n.text for n in train)
    text = "\n\n".join(chunks)
    key = sha256(text, ",".join(DANISH_ABBREVIATIONS), ",".join(PUNKT_LANGUAGES), PUNKT_HELPER)
    stamp = paths.nltk_data / ".ffbcoder-punkt"
    info_file = paths.nltk_data / "punkt-info.json"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == key and info_file.exists():
        info: dict[str, Any] = json.loads(info_file.read_text(encoding="utf-8"))
        return info
    log("training a Danish punkt sentence tokenizer for NLTK")
    if paths.nltk_data.exists():
        shutil.rmtree(paths.nltk_data)
    paths.nltk_data.mkdir(parents=True)
    text_file = paths.work / "punkt-train.txt"
    text_file.write_text(text, encoding="utf-8")
    helper = write_helper(paths, "build_punkt.py", PUNKT_HELPER)
    sample = "SB ringede til mor kl. 14. Hun sagde bl.a., at drengen er syg, jf. lægen. Mor ringer igen."
    proc = run(
        [
            paths.python,
            helper,
            text_file,
            paths.nltk_data,
            ",".join(PUNKT_LANGUAGES),
            ",".join(DANISH_ABBREVIATIONS),
            sample,
        ],
        "building NLTK punkt data",
        env=env,
    )
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if any(len(sents) != 3 for sents in info["check"].values()):
        raise StepError(f"the punkt model splits the check sentence wrongly: {info['check']}")
    write_if_changed(info_file, json.dumps(info, ensure_ascii=False, indent=1))
    stamp.write_text(key, encoding="utf-8")
    return info


# ----------------------------------------------------------------------------- step 3: vocabulary


def turtle_literal(text: str, lang: str | None = LANGUAGE) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _dedupe(labels: Iterable[str], taken: set[str]) -> list[str]:
    out: list[str] = []
    for label in labels:
        label = " ".join(label.strip().strip("'\"").split())
        if label and label.lower() not in taken:
            taken.add(label.lower())
            out.append(label)
    return out


def catalogue_to_skos(info: Mapping[str, Any], concepts: Sequence[Concept], examples_as: str) -> str:
    """The catalogue as SKOS Turtle.

    prefLabel = label, altLabel = synonyms, examples as hiddenLabel (or altLabel, or left out);
    description and guidance as skos:definition and skos:scopeNote; concepts that a guidance text
    names are skos:related; every [domain, theme] path becomes a skos:Collection (mllm uses
    relations and collections as features). The placeholder concept for zero-code notes has no
    labels that could match text.
    """
    ids = {c.id for c in concepts}
    lines = [
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
        "",
        f"<{SCHEME_URI}> a skos:ConceptScheme ;",
        f"    skos:prefLabel {turtle_literal(str(info.get('title', info.get('id', 'FFB'))))} .",
        "",
    ]
    collections: dict[tuple[str, ...], list[str]] = {}
    for c in concepts:
        taken = {c.label.lower()}
        props = [f"skos:prefLabel {turtle_literal(c.label)}"]
        alt = _dedupe(c.synonyms, taken)
        examples = _dedupe(c.examples, taken) if examples_as != "none" else []
        if examples_as == "alt":
            alt += examples
        props += [f"skos:altLabel {turtle_literal(label)}" for label in alt]
        if examples_as == "hidden":
            props += [f"skos:hiddenLabel {turtle_literal(label)}" for label in examples]
        props.append(f"skos:notation {turtle_literal(c.id, None)}")
        if c.description:
            props.append(f"skos:definition {turtle_literal(c.description)}")
        if c.guidance:
            props.append(f"skos:scopeNote {turtle_literal(c.guidance)}")
        related = sorted({m for m in re.findall(r"\b[ti]-[a-z0-9-]+[a-z0-9]", c.guidance) if m in ids} - {c.id})
        props += [f"skos:related <{concept_uri(r)}>" for r in related]
        props.append(f"skos:inScheme <{SCHEME_URI}>")
        lines.append(f"<{concept_uri(c.id)}> a skos:Concept ;")
        lines.extend(f"    {p} ;" for p in props[:-1])
        lines.append(f"    {props[-1]} .")
        lines.append("")
        if c.path:
            collections.setdefault(c.path, []).append(c.id)
    lines += [
        f"<{NO_CODE_URI}> a skos:Concept ;",
        f"    skos:prefLabel {turtle_literal('(ingen kode: pladsholder for noter uden koder)')} ;",
        f"    skos:notation {turtle_literal(NO_CODE_ID, None)} ;",
        f"    skos:inScheme <{SCHEME_URI}> .",
        "",
    ]
    for n, (path, members) in enumerate(sorted(collections.items()), 1):
        lines.append(f"<{COLLECTION_BASE}{n}> a skos:Collection ;")
        lines.append(f"    skos:prefLabel {turtle_literal(' / '.join(path))} ;")
        lines.append("    skos:member " + " ,\n        ".join(f"<{concept_uri(m)}>" for m in members) + " .")
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- step 4: projects


def projects_cfg(args: argparse.Namespace) -> str:
    common = f"language={LANGUAGE}\nvocab={VOCAB_ID}\nlimit={RANKING_LIMIT}\n"
    analyzed = common + f"analyzer={ANALYZER}\n"
    return (
        "# Written by evaluation/annif_baseline.py; do not edit (it is rewritten on every run).\n"
        f"[tfidf]\nname=FFB TF-IDF\nbackend=tfidf\n{analyzed}\n"
        f"[mllm]\nname=FFB MLLM\nbackend=mllm\n{analyzed}"
        f"use_hidden_labels={'true' if args.mllm_examples == 'hidden' else 'false'}\n"
        f"min_samples_leaf={args.mllm_min_samples_leaf}\nmax_leaf_nodes={args.mllm_max_leaf_nodes}\n"
        "max_samples=0.9\n\n"
        # Bonsai-style settings: one shallow, wide tree, which for 92 labels is in effect a flat
        # one-vs-rest linear model -- Parabel's deep binary tree needs far more data than this.
        f"[omikuji]\nname=FFB Omikuji Bonsai\nbackend=omikuji\n{analyzed}"
        f"cluster_balanced=False\ncluster_k=100\nmax_depth=3\nmin_df=1\nngram={args.omikuji_ngram}\n\n"
        f"[ensemble]\nname=FFB ensemble\nbackend=ensemble\n{common}"
        f"sources={args.ensemble_sources}\n"
    )


def training_corpus(notes: Sequence[Note], zero_code: str) -> list[dict[str, Any]]:
    """Annif JSONL documents; newlines stay in the text (JSON escapes them). Annif skips training
    documents without subjects, so zero-code notes get the placeholder subject or are left out."""
    placeholder = [{"uri": NO_CODE_URI}] if zero_code == "placeholder" else []
    return [
        {"document_id": n.id, "text": n.text, "subjects": [{"uri": concept_uri(c)} for c in n.codes] or placeholder}
        for n in notes
        if n.codes or placeholder
    ]


def catalogue_corpus(concepts: Sequence[Concept]) -> list[dict[str, Any]]:
    """One training document per concept (label, synonyms, examples, description), coded with it."""
    return [
        {
            "document_id": f"catalogue:{c.id}",
            "subjects": [{"uri": concept_uri(c.id)}],
            "text": "\n".join(
                [f"{c.label}.", *(f"{s}." for s in c.synonyms), *(f"{e}." for e in c.examples), c.description]
            ),
        }
        for c in concepts
    ]


def input_corpus(notes: Sequence[Note]) -> list[dict[str, Any]]:
    return [{"document_id": n.id, "text": n.text} for n in notes]


def train_projects(paths: Paths, env: Mapping[str, str], jobs: int, catalogue_docs: bool) -> dict[str, float]:
    """Train tfidf, mllm and omikuji on the train split; with catalogue_docs, tfidf and omikuji also
    get one document per concept (mllm learns from label matches in real notes, so not there)."""
    seconds: dict[str, float] = {}
    for project in TRAINED_PROJECTS:
        corpora = [paths.corpora / "train.jsonl"]
        if catalogue_docs and project != "mllm":
            corpora.append(paths.corpora / "catalogue.jsonl")
        log(f"training {project}")
        started = time.perf_counter()
        run(
            [paths.annif, "train", project, *corpora, "--jobs", str(jobs)],
            f"training {project}",
            env=env,
            cwd=paths.work,
        )
        seconds[project] = time.perf_counter() - started
    seconds["ensemble"] = 0.0  # Annif's basic ensemble averages its sources; it has nothing to train
    return seconds


def mllm_stats(paths: Paths, env: Mapping[str, str]) -> dict[str, int]:
    """Positive/negative candidate counts in mllm's training data; fail if it cannot learn."""
    helper = write_helper(paths, "mllm_stats.py", MLLM_STATS_HELPER)
    train_file = paths.datadir / "projects" / "mllm" / "mllm-train.gz"
    proc = run([paths.python, helper, train_file], "reading mllm's training data", env=env)
    stats: dict[str, int] = json.loads(proc.stdout.strip().splitlines()[-1])
    if min(stats["positive"], stats["negative"]) < 10:
        raise StepError(f"mllm has too few positive or negative candidates to learn from: {stats}")
    return stats


# ----------------------------------------------------------------------------- steps 5-7


Ranking = list[tuple[str, float]]


def suggest(paths: Paths, env: Mapping[str, str], project: str, split: str) -> tuple[dict[str, Ranking], float]:
    """Rankings per note id from ``annif index`` (every score, best first) and its wall time."""
    corpus = paths.corpora / f"{split}.jsonl"
    output = paths.work / "results" / f"{project}-{split}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run(
        [
            paths.annif,
            "index",
            project,
            corpus,
            "--output",
            output,
            "--force",
            "--no-include-doc",
            "--limit",
            str(RANKING_LIMIT),
            "--threshold",
            "0",
        ],
        f"suggesting {split} with {project}",
        env=env,
        cwd=paths.work,
    )
    wall = time.perf_counter() - started
    rankings: dict[str, Ranking] = {}
    for line in output.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        scored = [(uri_to_code(r["uri"]), float(r["score"])) for r in row["results"]]
        ranking = [(code, score) for code, score in scored if code is not None and score > 0]
        rankings[row["document_id"]] = sorted(ranking, key=lambda cs: (-cs[1], cs[0]))
    return rankings, wall


def cut(ranking: Ranking, limit: int, threshold: float) -> list[str]:
    return [code for code, score in ranking[:limit] if score >= threshold]


def micro_prf(notes: Sequence[Note], predicted: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Micro P/R/F1 over (note, code) decisions; zero-code notes count (all their output is FP)."""
    tp = fp = fn = 0
    for note in notes:
        gold, pred = set(note.codes), set(predicted.get(note.id, ()))
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def tune(notes: Sequence[Note], rankings: Mapping[str, Ranking]) -> tuple[int, float, float]:
    """The (limit, threshold) with the best micro-F1 on these (dev) notes; ties go to the
    smaller limit and then the higher threshold."""
    best = (-1.0, 0, 0.0)
    for limit in TUNE_LIMITS:
        for threshold in TUNE_THRESHOLDS:
            predicted = {n.id: cut(rankings.get(n.id, []), limit, threshold) for n in notes}
            f1 = micro_prf(notes, predicted)["f1"]
            if f1 > best[0] or (f1 == best[0] and limit == best[1] and threshold > best[2]):
                best = (f1, limit, threshold)
    return best[1], best[2], best[0]


def warm_timing(paths: Paths, env: Mapping[str, str], split: str) -> dict[str, dict[str, float]]:
    helper = write_helper(paths, "time_suggest.py", TIMING_HELPER)
    proc = run(
        [paths.python, helper, paths.corpora / f"{split}.jsonl", ",".join(PROJECTS), str(TIMING_REPEATS)],
        "timing warm suggestion",
        env=env,
        cwd=paths.work,
    )
    timing: dict[str, dict[str, float]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return timing


def print_table(summary: Mapping[str, Any]) -> None:
    header = (
        f"{'project':<10} {'notes/s':>9} {'cli n/s':>8} {'train s':>8} {'limit':>5} {'thr':>5} "
        f"{'dev P':>6} {'dev R':>6} {'dev F1':>6} {'test P':>6} {'test R':>6} {'test F1':>7}"
    )
    print()
    print(header)
    print("-" * len(header))
    for project, s in summary["projects"].items():
        dev, test = s["dev_micro"], s["test_micro"]
        print(
            f"{project:<10} {s['notes_per_second']:>9.1f} {s['cli_notes_per_second']:>8.1f} "
            f"{s['train_seconds']:>8.1f} {s['limit']:>5} {s['threshold']:>5.2f} "
            f"{dev['precision']:>6.3f} {dev['recall']:>6.3f} {dev['f1']:>6.3f} "
            f"{test['precision']:>6.3f} {test['recall']:>6.3f} {test['f1']:>7.3f}"
        )
    print()
    print(
        "notes/s: warm (model loaded, as ffbcoder's evaluation times it); cli n/s: one cold "
        "`annif index` run over the test split, process start and model load included."
    )


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True, help="gold JSONL to train on")
    parser.add_argument("--dev", type=Path, required=True, help="gold JSONL to tune limit/threshold on")
    parser.add_argument("--test", type=Path, required=True, help="gold JSONL to evaluate on")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".cache",
        help="holds annif-venv/ and annif-work/ (default: <repo>/.cache)",
    )
    parser.add_argument("--annif-version", default=ANNIF_VERSION)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--mllm-examples",
        choices=("hidden", "alt", "none"),
        default="hidden",
        help="how catalogue example phrasings enter the vocabulary (default: hiddenLabel, "
        "which mllm matches with use_hidden_labels)",
    )
    parser.add_argument("--mllm-min-samples-leaf", type=int, default=5)
    parser.add_argument("--mllm-max-leaf-nodes", type=int, default=1000)
    parser.add_argument("--omikuji-ngram", type=int, default=1)
    parser.add_argument(
        "--ensemble-sources",
        default="tfidf,mllm,omikuji",
        help="Annif sources string, optionally weighted (e.g. tfidf:1,mllm:2,omikuji:1)",
    )
    parser.add_argument(
        "--zero-code",
        choices=("placeholder", "drop"),
        default="placeholder",
        help="train on zero-code notes under a placeholder subject (default) or leave them out",
    )
    parser.add_argument(
        "--catalogue-docs",
        action="store_true",
        help="also train tfidf and omikuji on one document per catalogue concept",
    )
    parser.add_argument("--fresh", action="store_true", help="delete the Annif work folder first (the venv is kept)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    paths = Paths(cache=args.cache_dir.resolve(), out=args.out.resolve())
    info, concepts = load_catalogue(args.catalogue)
    known = {c.id for c in concepts}
    splits = {name: load_notes(getattr(args, name), known) for name in ("train", "dev", "test")}
    log(f"{len(concepts)} concepts; " + ", ".join(f"{k} {len(v)} notes" for k, v in splits.items()))

    versions = ensure_venv(paths, args.annif_version)
    log("Annif venv: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if args.fresh and paths.work.exists():
        shutil.rmtree(paths.work)
    paths.work.mkdir(parents=True, exist_ok=True)
    env = annif_env(paths)

    punkt = ensure_punkt(paths, concepts, splits["train"], env)
    log(
        f"punkt ({punkt['format']}, nltk {punkt['nltk']}): {punkt['abbreviations']} abbreviations, "
        f"{punkt['sent_starters']} sentence starters"
    )

    vocab_file = paths.work / "ffb-bu.ttl"
    write_if_changed(vocab_file, catalogue_to_skos(info, concepts, args.mllm_examples))
    write_if_changed(paths.projects_cfg, projects_cfg(args))
    log("loading the SKOS vocabulary")
    run([paths.annif, "load-vocab", VOCAB_ID, vocab_file, "--force"], "annif load-vocab", env=env, cwd=paths.work)

    write_jsonl(paths.corpora / "train.jsonl", training_corpus(splits["train"], args.zero_code))
    for name in ("dev", "test"):
        write_jsonl(paths.corpora / f"{name}.jsonl", input_corpus(splits[name]))

    write_jsonl(paths.corpora / "catalogue.jsonl", catalogue_corpus(concepts))
    train_seconds = train_projects(paths, env, args.jobs, args.catalogue_docs)
    mllm_candidates = mllm_stats(paths, env)
    log(f"mllm training candidates: {mllm_candidates}")

    log("timing warm suggestion on the test split")
    warm = warm_timing(paths, env, "test")

    summary: dict[str, Any] = {
        "annif": {
            "versions": versions,
            "extras": list(ANNIF_EXTRAS),
            "language": LANGUAGE,
            "analyzer": ANALYZER,
            "projects_cfg": paths.projects_cfg.read_text(encoding="utf-8"),
        },
        "settings": {
            "uri_base": URI_BASE,
            "mllm_examples": args.mllm_examples,
            "zero_code": args.zero_code,
            "catalogue_docs": args.catalogue_docs,
            "jobs": args.jobs,
            "timing": "notes_per_second: warm, model loaded, median of "
            f"{TIMING_REPEATS} runs over the test split; cli_*: one cold `annif index` "
            "run (process start and model load included); train_seconds: wall time "
            "of `annif train` (process start included)",
        },
        "catalogue": {"id": info.get("id"), "version": info.get("version"), "concepts": len(concepts)},
        "splits": {k: {"path": str(getattr(args, k)), "notes": len(v)} for k, v in splits.items()},
        "punkt": {k: v for k, v in punkt.items() if k != "check"},
        "mllm_training_candidates": mllm_candidates,
        "tuning": {
            "split": "dev",
            "metric": "micro-F1",
            "limits": [TUNE_LIMITS[0], TUNE_LIMITS[-1]],
            "thresholds": [TUNE_THRESHOLDS[0], TUNE_THRESHOLDS[-1], 0.01],
        },
        "projects": {},
    }
    paths.out.mkdir(parents=True, exist_ok=True)
    for project in PROJECTS:
        log(f"suggesting dev and test with {project}")
        dev_rankings, _ = suggest(paths, env, project, "dev")
        test_rankings, test_wall = suggest(paths, env, project, "test")
        limit, threshold, _ = tune(splits["dev"], dev_rankings)
        result: dict[str, Any] = {}
        for name, rankings in (("dev", dev_rankings), ("test", test_rankings)):
            predicted = {n.id: cut(rankings.get(n.id, []), limit, threshold) for n in splits[name]}
            write_jsonl(
                paths.out / f"{project}-{name}.jsonl",
                (
                    {
                        "id": n.id,
                        "ranking": [[c, round(s, 6)] for c, s in rankings.get(n.id, [])],
                        "predicted": predicted[n.id],
                    }
                    for n in splits[name]
                ),
            )
            result[f"{name}_micro"] = micro_prf(splits[name], predicted)
        n_test = len(splits["test"])
        timing = warm[project]
        summary["projects"][project] = {
            "train_seconds": round(train_seconds[project], 2),
            "test_notes": n_test,
            "notes_per_second": round(timing["notes"] / timing["seconds"], 2),
            "suggest_seconds": round(timing["seconds"], 3),
            "load_seconds": round(timing["load_seconds"], 2),
            "cli_seconds": round(test_wall, 2),
            "cli_notes_per_second": round(n_test / test_wall, 2),
            "limit": limit,
            "threshold": threshold,
            **result,
        }
    write_if_changed(paths.out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    print_table(summary)
    log(f"wrote {paths.out}/<project>-{{dev,test}}.jsonl and summary.json")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except StepError as err:
        print(f"[annif-baseline] FAILED: {err}", file=sys.stderr)
        sys.exit(1)
