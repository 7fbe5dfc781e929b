"""What qa returns: typed records, turned into dicts only at the JSON edge."""

from __future__ import annotations

from dataclasses import dataclass

from index import Passage


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its rank and score."""

    rank: int
    score: float
    passage: Passage

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        p = self.passage
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "passage_id": p.id,
            "article_id": p.article_id,
            "title": p.title,
            "start": p.start,
            "end": p.end,
            "text": p.text,
        }
