"""The AI answer cache in the project's database (table ``ai_extractions``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..storage.bulk import upsert_statement
from ..storage.models import AIExtraction
from .llm import Answer
from .prompt import PROMPT_VERSION


class DatabaseAnswerCache:
    """Answers by cache key, read and written in a worker thread (the caller is the event loop)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def get(self, key: str) -> Answer | None:
        return await asyncio.to_thread(self.get_now, key)

    async def put(self, key: str, model: str, answer: Answer) -> None:
        await asyncio.to_thread(self.put_now, key, model, answer)

    def get_now(self, key: str) -> Answer | None:
        with Session(self.engine) as session:
            row = session.scalar(select(AIExtraction).where(AIExtraction.key == key))
            if row is None:
                return None
            return Answer(row.status, dict(row.result or {}), cached=True)  # type: ignore[arg-type]

    def put_now(self, key: str, model: str, answer: Answer) -> None:
        row = {
            "key": key,
            "model": model,
            "prompt_version": PROMPT_VERSION,
            "status": answer.status,
            "result": answer.values or None,
            "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens,
            "created_at": datetime.now(UTC),
        }
        statement = upsert_statement(self.engine, AIExtraction.__table__).values(row)
        # Two runs may ask the same text at once: the first answer kept is as good as the second.
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
        with self.engine.begin() as connection:
            connection.execute(statement)
