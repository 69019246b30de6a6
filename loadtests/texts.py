"""Request texts drawn from the labelled comments the model is trained on."""

import csv
from dataclasses import dataclass
from pathlib import Path
from random import Random

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMENTS_CSV = REPO_ROOT / "model_service" / "data" / "comments.csv"


@dataclass(frozen=True)
class TextPool:
    comments: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = COMMENTS_CSV) -> "TextPool":
        with path.open(newline="", encoding="utf-8") as handle:
            comments = tuple(row["text"] for row in csv.DictReader(handle) if row["text"].strip())
        if not comments:
            raise ValueError(f"{path}: no texts in the 'text' column")
        return cls(comments)

    def short(self, rng: Random) -> str:
        return rng.choice(self.comments)

    def long(self, rng: Random, chars: int) -> str:
        """Real comments joined into one text of exactly `chars` characters.

        Comments are short (<= 140 chars), so a long input is a thread of them:
        the text stays natural while hitting the length the service must accept.
        """
        parts: list[str] = []
        length = 0
        while length < chars:
            parts.append(self.short(rng))
            length += len(parts[-1]) + 1
        return " ".join(parts)[:chars]

    def batch(self, rng: Random, size: int) -> list[str]:
        return [self.short(rng) for _ in range(size)]
