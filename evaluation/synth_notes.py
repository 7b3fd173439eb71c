"""Synthetic historical case notes for throughput and coverage benchmarks (deterministic).

Migrated case files look like this: journal notes, notifications (underretninger) and status
reports written over years in DUBU or SBSYS, where a large share of the sentences are
boilerplate (receipt of a notification, "forældremyndighedsindehaver er orienteret", the
next follow-up date) and the rest describe the child and family in a caseworker's usual
phrasings, with names, ages, dates and places that change from note to note. The generator
mixes both: fixed template sentences that recur verbatim across notes, and slot-filled
concern, intervention and observation sentences whose wording repeats but whose details vary.
There are no real persons: names, places and case numbers are drawn from short lists.

    python evaluation/synth_notes.py --count 10000 --seed 7 --out evaluation/out/notes-10k.jsonl

The format follows the suffix (.jsonl, .csv, .tsv, .parquet) or ``--format``. Every row has
``id``, ``text``, ``source`` (note type) and ``date``; the same count and seed give the same
file. Import :func:`generate_notes` to use the notes without a file.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

FORMATS = ("jsonl", "csv", "tsv", "parquet")

GIRLS = ["Freja", "Emma", "Ida", "Sofie", "Laura", "Maja", "Amalie", "Nora", "Alma", "Clara", "Aya", "Zainab"]
BOYS = ["Mikkel", "Oliver", "Noah", "William", "Lucas", "Emil", "Malthe", "Ali", "Mohammed", "Victor", "Anton"]
SURNAMES = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Hassan"]
MOTHERS = ["Helle", "Tina", "Susanne", "Mette", "Lone", "Fatima", "Camilla", "Pia"]
FATHERS = ["Jan", "Brian", "Kim", "René", "Ahmed", "Thomas", "Michael", "Lars"]
SCHOOLS = ["Bakkeskolen", "Nørre Skole", "Søndermarkskolen", "Vestre Skole", "Kirkebjerg Skole", "Byskolen"]
INSTITUTIONS = ["Børnehuset Solsikken", "Vuggestuen Mælkebøtten", "Klub Kilden", "Fritidshjemmet Stjernen"]
PLACES = ["busterminalen", "stationen", "Søndergade", "indkøbscentret", "skolens legeplads", "havnen"]
CASEWORKERS = ["SB", "RB", "sagsbehandler", "socialrådgiver"]
AUTHORITIES = ["Politiet", "Egen læge", "Sundhedsplejersken", "PPR", "BUP", "Skolelederen", "Familieafdelingen"]

# Verbatim boilerplate: these sentences recur across thousands of historical notes.
HEADER_TEMPLATES = [
    "Journalnotat.",
    "Notat vedr. telefonisk henvendelse.",
    "Notat fra hjemmebesøg.",
    "Underretningen er modtaget og journaliseret.",
    "Kvittering sendt til underretter.",
    "Underretningen vurderes af vagtteamet inden 24 timer.",
    "Sagen er overdraget fra modtagelsesteamet.",
    "Notatet er udarbejdet på baggrund af samtale med forældrene.",
]
FOOTER_TEMPLATES = [
    "Forældremyndighedsindehaver er orienteret om underretningen.",
    "Forældrene er orienteret om, at de kan få aktindsigt i sagen.",
    "Sagen drøftes på næste teammøde.",
    "Der foretages ikke yderligere på nuværende tidspunkt.",
    "Partshøring sendt til forældrene, jf. forvaltningslovens § 19.",
    "Sagen afventer svar fra samarbejdspartnere.",
    "Notatet er gennemlæst og godkendt af teamleder.",
    "Børnesamtale gennemføres inden for de kommende uger.",
    "Der er ikke grundlag for at iværksætte en børnefaglig undersøgelse.",
    "Der iværksættes en børnefaglig undersøgelse efter barnets lov § 20.",
]
# Slot-filled sentences: the wording recurs, the details vary.
INTROS = [
    "Underretning modtaget {date} fra {school} vedr. {child} ({age} år).",
    "{caseworker} ringede til {parent} vedr. {child} ({age} år).",
    "{authority} har kontaktet forvaltningen vedr. {child} ({age} år).",
    "Hjemmebesøg hos familien {date}. Til stede var {parent}, {child} og {caseworker}.",
    "Statusudtalelse fra {school} vedr. {child}, modtaget {date}.",
    "Møde på {school} {date} med {parent}, klasselærer og {caseworker}.",
]
CONCERNS = [
    "{child} har ikke været i skole de sidste {n} uger.",
    "{child} har et højt fravær og møder sjældent før anden time.",
    "Mor oplyser, at hun drikker dagligt og ikke kan overskue hverdagen.",
    "Far var tydeligt påvirket, da han hentede {child} i {institution}.",
    "Der har været politiudkald til adressen {n} gange i år pga. skænderier mellem forældrene.",
    "{child} fortæller, at far slår, når han bliver vred.",
    "{child} har blå mærker på overarmen, som {pron} ikke vil forklare.",
    "Mor har en diagnose med depression og har været indlagt i psykiatrien.",
    "Familien er sat ud af lejligheden og bor midlertidigt hos mormor.",
    "Der er gæld til udlejer, og familien har ikke betalt husleje i {n} måneder.",
    "{child} har tabt {n} kg og spiser næsten ingenting.",
    "{child} har cuttet sig på underarmene og har talt om ikke at ville leve.",
    "{child} er flere gange fundet beruset ved {place} om natten.",
    "{child} er sigtet for butikstyveri og hærværk sammen med ældre drenge.",
    "{child} slår ud efter de andre børn og har svært ved at sidde stille i timerne.",
    "{child} er meget stille, trækker sig fra fællesskabet og har ingen venner i klassen.",
    "{child} bliver drillet og holdt udenfor af en gruppe piger i klassen.",
    "{child} spiller computer til langt ud på natten og sover i timerne.",
    "Madpakken mangler ofte, og {child} kommer i for tynd tøj i frostvejr.",
    "{child} passer sine små søskende, når mor er på arbejde om aftenen.",
    "Forældrene er i en konfliktfyldt skilsmisse og taler dårligt om hinanden foran {child}.",
    "{child} har en ADHD-diagnose og er i medicinsk behandling.",
    "{child} er udredt for autisme og har brug for faste rammer.",
    "{child} taler kun få ord og er sprogligt bagud for sin alder.",
    "Mor har ikke noget netværk og har svært ved at forstå dansk.",
    "Far er blevet fængslet og afsoner en dom på {n} måneder.",
    "{child} mistede sin mormor i foråret og er meget ked af det.",
    "{child} sover dårligt og vågner flere gange hver nat med mareridt.",
]
# Negated or reassuring statements, common in historical notes and hard for keyword matching.
REASSURANCES = [
    "Der er ingen bekymring for {child}s skolegang.",
    "Mor har ikke drukket siden nytår, og der er ikke set tegn på tilbagefald.",
    "{child} afviser, at der er vold i hjemmet.",
    "Skolen oplever ikke, at {child} mistrives.",
    "Der er ikke oplysninger om misbrug i familien.",
    "{child} har gode venner og går til {hobby} to gange om ugen.",
    "Hjemmet fremstod ryddeligt, og der var mad i køleskabet.",
]
INTERVENTIONS = [
    "Der bevilges familiebehandling efter barnets lov § 32.",
    "{child} tilbydes en fast kontaktperson, som ses en gang om ugen.",
    "Familien er henvist til familieorienteret rådgivning.",
    "Der iværksættes praktisk pædagogisk støtte i hjemmet {n} timer om ugen.",
    "{child} anbringes i plejefamilie med samtykke fra forældrene.",
    "{child} anbringes på opholdssted, da hjemmet ikke kan give den nødvendige omsorg.",
    "Der bevilges aflastning i en aflastningsfamilie hver {n}. weekend.",
    "Mor tilbydes at deltage i et forældrekursus.",
    "{child} visiteres til misbrugsbehandling i ungeenheden.",
    "Samvær mellem {child} og far skal foregå overvåget.",
    "{child} henvises til PPR med henblik på en pædagogisk psykologisk vurdering.",
    "Der bevilges dækning af merudgifter til {child}s medicin.",
    "{child} tilbydes efterværn frem til {age2} år.",
]
OBSERVATIONS = [
    "{child} fremstod glad og nysgerrig under besøget.",
    "{parent} var samarbejdsvillig og fortalte åbent om familiens situation.",
    "Klasselæreren beskriver {child} som et barn, der gerne vil, men let mister overblikket.",
    "{child} viste sit værelse frem og fortalte om {hobby}.",
    "{parent} oplyste, at familien har fået en ny lejlighed i {place_area}.",
    "{authority} deltager i næste netværksmøde.",
]
FOLLOW_UPS = [
    "{caseworker} ringer igen om {n} dage.",
    "Næste opfølgning: {date}.",
    "Opfølgningsmøde aftalt {date} kl. {hour}.",
    "Handleplanen revideres {date}.",
]
FREE_WHEN = [
    "Ved besøget",
    "I sidste uge",
    "Om morgenen",
    "Efter weekenden",
    "I frikvarteret",
    "Ved mødet",
    "I den seneste periode",
    "Siden sommerferien",
    "Ifølge skolen",
    "Under samtalen",
]
FREE_VERB = ["fortalte", "oplyste", "beskrev", "nævnte", "understregede", "gav udtryk for"]
FREE_WHAT = [
    "at {child} har haft en svær periode",
    "at der har været uro omkring aftensmaden",
    "at {child} er begyndt at komme for sent",
    "at samarbejdet med {school} fungerer bedre",
    "at {child} savner sin far",
    "at hverdagen er præget af mange aflysninger",
    "at {child} er glad for sin nye pædagog",
    "at der er kommet mere struktur på sengetider",
    "at {child} har svært ved overgangene i løbet af dagen",
    "at familien har brug for mere hjælp",
]
FREE_HOW = [
    "",
    " og at det har stået på i et stykke tid",
    ", men at det går lidt bedre nu",
    " uden at kunne give en forklaring",
    " flere gange",
    ", hvilket bekymrer skolen",
]
HOBBIES = ["fodbold", "håndbold", "svømning", "spejder", "ridning", "musikskole", "gymnastik"]
AREAS = ["Vestbyen", "Nørrebro", "Søndermarken", "bymidten", "Østervang"]
SOURCES = ["journalnotat", "underretning", "statusudtalelse", "børnefaglig undersøgelse", "opfølgning"]


@dataclass(frozen=True)
class SyntheticNote:
    id: str
    text: str
    source: str
    date: str


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2009, 2023)}"


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    hour = f"{rng.randint(8, 15)}.{rng.choice(['00', '30'])}"
    return template.format(**dict(slots, n=str(rng.randint(2, 9)), date=_date(rng), hour=hour))


def _free_sentence(slots: dict[str, str], rng: random.Random) -> str:
    """A caseworker's own sentence: built from parts, so it rarely recurs verbatim."""
    who = rng.choice(
        [slots["child"], slots["parent"][0].upper() + slots["parent"][1:], "Klasselæreren", "Pædagogen", "Mormor"]
    )
    when = rng.choice(FREE_WHEN)
    what = rng.choice(FREE_WHAT).format(**slots)
    how = rng.choice(FREE_HOW)
    return f"{when} {rng.choice(FREE_VERB)} {who}, {what}{how}."


def _note(index: int, rng: random.Random) -> SyntheticNote:
    girl = rng.random() < 0.5
    first = rng.choice(GIRLS if girl else BOYS)
    age = rng.randint(1, 17)
    slots = {
        "child": f"{first} {rng.choice(SURNAMES)}" if rng.random() < 0.15 else first,
        "pron": "hun" if girl else "han",
        "age": str(age),
        "age2": str(rng.choice([19, 21, 23])),
        "parent": rng.choice([f"mor {rng.choice(MOTHERS)}", f"far {rng.choice(FATHERS)}"]),
        "school": rng.choice(SCHOOLS),
        "institution": rng.choice(INSTITUTIONS),
        "place": rng.choice(PLACES),
        "place_area": rng.choice(AREAS),
        "caseworker": rng.choice(CASEWORKERS),
        "authority": rng.choice(AUTHORITIES),
        "hobby": rng.choice(HOBBIES),
    }
    source = rng.choice(SOURCES)
    paragraphs: list[list[str]] = []
    paragraphs.append([*rng.sample(HEADER_TEMPLATES, rng.randint(0, 2)), _fill(rng.choice(INTROS), slots, rng)])
    body: list[str] = []
    for _ in range(rng.randint(1, 6)):
        body.append(_fill(rng.choice(CONCERNS), slots, rng))
    for _ in range(rng.randint(0, 2)):
        body.append(_fill(rng.choice(REASSURANCES), slots, rng))
    for _ in range(rng.randint(0, 3)):
        body.append(_fill(rng.choice(OBSERVATIONS), slots, rng))
    for _ in range(rng.randint(1, 4)):
        body.append(_free_sentence(slots, rng))
    rng.shuffle(body)
    paragraphs.append(body)
    actions = [_fill(t, slots, rng) for t in rng.sample(INTERVENTIONS, rng.randint(0, 2))]
    actions += rng.sample(FOOTER_TEMPLATES, rng.randint(1, 3))
    actions.append(_fill(rng.choice(FOLLOW_UPS), slots, rng))
    paragraphs.append(actions)
    if rng.random() < 0.2:  # old notes often list agreements as bullets
        paragraphs[-1] = ["Aftaler:", *(f"- {line}" for line in paragraphs[-1])]
        text = "\n\n".join(" ".join(paragraphs[i]) for i in range(len(paragraphs) - 1))
        text += "\n\n" + "\n".join(paragraphs[-1])
    else:
        text = "\n\n".join(" ".join(p) for p in paragraphs)
    return SyntheticNote(id=f"hist-{index:07d}", text=text, source=source, date=_date(rng))


def generate_notes(count: int, seed: int = 7) -> Iterator[SyntheticNote]:
    """``count`` notes, the same for the same seed; each note has its own random stream."""
    for i in range(count):
        yield _note(i, random.Random(f"{seed}:{i}"))


def write_notes(notes: Iterator[SyntheticNote], path: Path, fmt: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(name, pa.string()) for name in ("id", "text", "source", "date")])
        with pq.ParquetWriter(path, schema) as writer:
            rows: list[dict[str, str]] = []
            for note in notes:
                rows.append(asdict(note))
                n += 1
                if len(rows) == 2048:
                    writer.write_table(pa.Table.from_pylist(rows, schema))
                    rows = []
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema))
        return n
    with path.open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for note in notes:
                handle.write(json.dumps(asdict(note), ensure_ascii=False) + "\n")
                n += 1
            return n
        delimiter = "\t" if fmt == "tsv" else ","
        writer_csv = csv.DictWriter(handle, fieldnames=["id", "text", "source", "date"], delimiter=delimiter)
        writer_csv.writeheader()
        for note in notes:
            writer_csv.writerow(asdict(note))
            n += 1
    return n


def format_of(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise SystemExit(f"cannot tell the format of {path}; give --format {'|'.join(FORMATS)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic historical case notes (deterministic).")
    parser.add_argument("--count", type=int, default=10_000, help="number of notes (default 10000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, required=True, help="output file (.jsonl, .csv, .tsv or .parquet)")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from the suffix)")
    args = parser.parse_args(argv)
    n = write_notes(generate_notes(args.count, args.seed), args.out, format_of(args.out, args.format))
    print(f"wrote {n} notes to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
