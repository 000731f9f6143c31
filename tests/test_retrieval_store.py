"""open_store_index over a tiny catalog and policy set (hashing embedder, no model)."""

import pytest

from retrieval import Filters, HashingEmbedder, open_store_index
from retrieval.filters import constraints_to_filters
from retrieval.store_index import catalog_user_words, product_doc
from store import PolicyDoc, Product


def _p(pid, name, brand, category, price, sale=None, tags=(), allergens=(), stock=5, desc=""):
    return Product(pid, name, brand, category, price, sale, "1개", desc or name, tuple(tags), tuple(allergens),
                   "국산", "냉장", stock, 4.5, 10, "새벽", "assets/x.png")


PRODUCTS = [
    _p("P1", "무가당 그릭요거트 450g", "맛나당", "유제품/요거트/그릭요거트", 6900, 5900, ["무가당"], ["우유"]),
    _p("P2", "초코 프로틴바 12입", "바른식탁", "건강식품/단백질·다이어트/프로틴바", 15000, None, ["고단백"], ["대두", "우유"], 0),
    _p("P3", "유기농 두유 1L", "초록들", "음료/두유/두유", 3200, None, ["비건", "유기농"], ["대두"]),
    _p("P4", "쌀과자 현미칩", "해뜰", "간식·과자/과자/쌀과자", 2500, None, ["비건"], []),
]
POLICIES = [PolicyDoc("배송-01", "배송 방법과 지역", "배송", "...", (
    ("배송 방법", "새벽배송, 당일배송, 일반배송 세 가지 방법이 있습니다."),
    ("방법별 가능 지역", "새벽배송: 서울 전 지역, 경기 수원 성남"))),
    PolicyDoc("반품-01", "반품 안내", "반품", "...", (("반품 기한", "상품 수령 후 7일 이내에 반품을 신청할 수 있습니다."),))]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    return open_store_index(PRODUCTS, POLICIES, tmp_path_factory.mktemp("store-idx"), HashingEmbedder())


def test_product_doc_shape():
    d = product_doc(PRODUCTS[0])
    assert d.kind == "product" and d.title == "무가당 그릭요거트 450g"
    assert d.meta["price"] == 5900 and d.meta["list_price"] == 6900  # effective price filters
    assert "맛나당" in d.text and "무가당" in d.text and "우유" not in d.text.replace("그릭요거트", "")


def test_policy_sections_are_passages(retriever):
    assert [c.id for c in retriever.data.chunks if c.doc_id == "배송-01"] == ["배송-01#1", "배송-01#2"]
    hit = retriever.search("새벽배송 되는 지역 어디에요", k=1)[0]
    assert hit.id == "배송-01" and hit.passage_id == "배송-01#2" and hit.kind == "policy"
    assert retriever.search("반품 언제까지 돼요", k=1)[0].id == "반품-01"


def test_store_filters(retriever):
    f = constraints_to_filters({"max_price": 6000, "required_tags": ["무가당"]})
    assert [h.id for h in retriever.search("요거트", filters=f)] == ["P1"]  # 5900 on sale
    f = Filters(kinds=("product",), excluded_allergens=("우유",), categories=("간식·과자",))
    assert [h.id for h in retriever.search("우유 못먹는 아이 과자", filters=f)] == ["P4"]
    assert retriever.search("프로틴바", filters=Filters(in_stock=True, kinds=("product",)))[0].id != "P2"


def test_catalog_user_words():
    words = catalog_user_words(PRODUCTS)
    assert "맛나당" in words and "그릭요거트" in words and "바른식탁" in words


def test_constraints_to_filters():
    assert constraints_to_filters({}) is None
    f = constraints_to_filters({"category": "간식·과자", "min_price": 1000, "unknown": 1})
    assert f.categories == ("간식·과자",) and f.min_price == 1000
