"""The asked item read from words the catalog itself explains (issue 14): a variety written only
before one item noun ("부사" 사과), and the letter of a compound the keyword lost ("비타민C",
"비타민 씨")."""

from assistant.grounding import Constraints, ground_products
from assistant.rerank import ItemQuery, head_vocabulary, item_heads, item_query, words_match
from assistant.testing import KeywordRetriever
from tests.test_assistant_answers import P

ROWS = [
    P("A1", "부사 사과", "햇살", "3kg", "신선/과일/사과·배", 29000),
    P("A2", "부사 사과", "초록", "1.5kg", "신선/과일/사과·배", 15000),
    P("A3", "홍로 사과", "햇살", "3kg", "신선/과일/사과·배", 27000),
    P("A4", "홍로 사과", "초록", "1.5kg", "신선/과일/사과·배", 14000),
    P("A5", "사과 주스", "과즙", "1L", "음료/주스/주스", 3900),
    P("B1", "유기농 당근", "햇살", "1kg", "신선/채소/뿌리채소", 3900),
    P("B2", "유기농 감자", "초록", "1kg", "신선/채소/뿌리채소", 4900),
    P("V1", "비타민C 1000", "웰니스", "120정", "건강/영양제/비타민", 15000),
    P("V2", "비타민C 1000", "데일리", "120정", "건강/영양제/비타민", 14000),
    P("V3", "종합비타민", "웰니스", "60정", "건강/영양제/비타민", 19000),
    P("V4", "비타민D 2000IU", "웰니스", "90캡슐", "건강/영양제/비타민", 12000),
]


def test_a_word_written_before_one_item_noun_only_names_a_kind_of_it():
    vocab = head_vocabulary(ROWS)
    assert vocab.kind_of["부사"] == "사과" and vocab.kind_of["홍로"] == "사과"
    assert "유기농" not in vocab.kind_of           # written before 당근 and 감자: says no item
    assert "주스" not in vocab.kind_of            # a head noun itself
    assert item_heads(("부사",), vocab, "부사 3키로 3만원 안 넘는거") == ("사과",)
    item = item_query(("부사",), "부사 3키로 3만원 안 넘는거", vocab)
    catalog, retriever = {p.id: p for p in ROWS}, KeywordRetriever(ROWS)
    cards = ground_products(retriever, catalog, "부사", Constraints(budget_max=30000), k=3, item=item)
    # the 부사 of the asked size; not the 홍로 of that size, not the 사과 주스
    assert [c.id for c in cards] == ["A1"]


def test_the_letter_of_a_compound_the_keyword_lost_names_the_item():
    vocab = head_vocabulary(ROWS)
    assert item_heads(("비타민",), vocab, "비타민C") == ("비타민C",)
    assert item_heads(("비타민",), vocab, "비타민 씨 1000") == ("비타민C",)
    assert item_heads(("비타민",), vocab, "비타민D 추천") == ("비타민D",)
    assert item_heads(("비타민",), vocab, "비타민 이거 좋아요") != ("비타민E",)
    # only a Hangul syllable comes off a word: "비타민C" is not matched by 종합비타민
    assert words_match("종합비타민", ItemQuery(heads=("비타민",), words=("비타민C",))) == 0
    assert words_match("대형배변패드", ItemQuery(heads=("배변패드",), words=("대형견",))) == 1
    q = item_query(("비타민",), "비타민C 추천", vocab)
    catalog, retriever = {p.id: p for p in ROWS}, KeywordRetriever(ROWS)
    cards = ground_products(retriever, catalog, "비타민", Constraints(), k=3, item=q)
    assert {c.id for c in cards} == {"V1", "V2"}


def test_a_shape_or_flavor_written_after_the_noun_is_not_the_head():
    from assistant.rerank import product_head

    assert product_head("맘스케어 아기 물티슈 캡형 70매 x 20팩", "맘스케어", "70매 x 20팩") == "물티슈"
    assert product_head("고소한날 팝콘 버터맛 80g", "고소한날", "80g") == "팝콘"
    assert product_head("베베숲 팬티형 기저귀 대형 44매", "베베숲", "44매") == "기저귀"
    assert product_head("모아전자 미니 에어프라이어 2L 1대", "모아전자", "2L 1대") == "에어프라이어"


def test_the_analyzers_hangul_spellings_name_the_catalogs_item():
    from assistant.rerank import alias

    rows = [P("C1", "무설탕 초콜릿", "달콤", "80g", "간식/초콜릿/초콜릿", 3000),
            P("C2", "초콜릿 쿠키", "달콤", "200g", "간식/과자/쿠키", 4000)]
    vocab = head_vocabulary(rows)
    assert alias("초콜렛") == "초콜릿" and alias("protein") == "protein"   # English is left to retrieval
    assert item_heads(("초콜렛",), vocab, "당 없는 초콜렛") == ("초콜릿",)


def test_a_shelf_word_in_the_message_names_the_item_when_no_keyword_does():
    from assistant.rerank import message_heads

    rows = [P("N1", "구운 아몬드", "고소", "400g", "간식/견과·건과/견과류", 9900),
            P("N2", "캐슈넛", "고소", "350g", "간식/견과·건과/견과류", 8900),
            P("N3", "절임배추", "새벽", "10kg", "신선/채소/잎채소", 29000)]
    vocab = head_vocabulary(rows)
    assert message_heads("견과류 땅콩 빼고", vocab) == ("견과류",)
    assert message_heads("땅콩 빼고 견과류 말고", vocab) == ()      # a ruled-out shelf names nothing
    item = item_query((), "견과류 땅콩 빼고", vocab)
    catalog, retriever = {p.id: p for p in rows}, KeywordRetriever(rows)
    cards = ground_products(retriever, catalog, "견과류 땅콩 빼고 배추", Constraints(excluded_allergens=("땅콩",)),
                            k=3, item=item)
    assert {c.id for c in cards} == {"N1", "N2"}


def test_a_gift_set_is_packaging_and_a_use_names_its_ingredient():
    rows = [P("G1", "한라봉", "제주", "3kg", "신선/과일/감귤·만감류", 36900, tags=("선물용",)),
            P("G2", "참치 선물세트", "한끼", "1세트", "가공/선물세트/명절 선물세트", 29900),
            P("G3", "캔햄 선물세트", "한끼", "1세트", "가공/선물세트/명절 선물세트", 38900),
            P("G4", "살코기 참치", "한끼", "150g x 10입", "가공/즉석/통조림", 19900),
            P("T1", "순두부", "오늘", "350g", "가공/두부·김치/두부", 1500),
            P("T2", "된장찌개", "오늘", "450g", "가공/즉석/즉석국·찌개", 3480),
            P("T3", "부대찌개", "오늘", "450g", "가공/즉석/즉석국·찌개", 4480)]
    vocab = head_vocabulary(rows)
    assert item_query(("한라봉", "선물세트"), "한라봉 선물세트", vocab).heads == ("한라봉",)
    assert item_query(("선물세트",), "선물세트 추천", vocab).heads == ("선물세트",)   # alone, it is the item
    q = item_query(("참치", "선물세트"), "참치 선물세트", vocab)
    catalog = {p.id: p for p in rows}
    cards = ground_products(KeywordRetriever(rows), catalog, "참치 선물세트", Constraints(), k=3, item=q)
    assert cards[0].id == "G2"        # the gift set asked for by name still comes first
    assert item_query(("순두부찌개",), "순두부찌개용", vocab).heads == ("순두부",)
    assert item_query(("순두부찌개",), "순두부찌개 추천", vocab).heads != ("순두부",)   # the stew itself
    assert item_query(("된장찌개",), "된장찌개용", vocab).heads == ("된장찌개",)        # a catalog item


def test_a_one_syllable_item_word_names_the_one_shelf_it_ends():
    rows = [P("K1", "미역국", "오늘", "500g x 2입", "가공/즉석/즉석국·찌개", 4980),
            P("K2", "된장찌개", "오늘", "450g", "가공/즉석/즉석국·찌개", 3480),
            P("K3", "국간장", "맛있는", "900ml", "가공/소스·양념/장류", 6400),
            P("K4", "백미밥", "햇", "210g x 3입", "가공/즉석/즉석밥", 3900),
            P("K5", "새우볶음밥", "냉동", "300g", "냉동/간편식/볶음밥·피자", 4900)]
    vocab = head_vocabulary(rows)
    q = item_query(("국",), "데워먹는 국", vocab)
    assert q.leaves == frozenset({"즉석국"})
    catalog = {p.id: p for p in rows}
    cards = ground_products(KeywordRetriever(rows), catalog, "국", Constraints(), k=3, item=q)
    assert {c.id for c in cards} == {"K1", "K2"}           # not the 국간장
    # "밥" ends 즉석밥 but also 새우볶음밥, filed with the frozen food: no one shelf
    assert item_query(("밥",), "밥", vocab).leaves == frozenset()


def test_a_clipping_filed_where_the_item_is_is_the_item():
    from assistant.rerank import clippings

    rows = [P("M1", "마요네즈", "맛있는", "500g", "가공/소스·양념/소스·드레싱", 4980, allergens=("알류", "대두")),
            P("M2", "비건 마요", "맛있는", "300g", "가공/소스·양념/소스·드레싱", 6480, allergens=("대두",)),
            P("M3", "굴소스", "맛있는", "260g", "가공/소스·양념/소스·드레싱", 3980),
            P("S1", "샴푸", "허브", "500ml", "뷰티/헤어/샴푸·린스", 9900),
            P("S2", "샴푸바", "허브", "80g", "뷰티/헤어/샴푸·린스", 8900),
            P("S3", "단백질 쉐이크", "헬시", "1kg", "건강/단백질/프로틴", 29000),
            P("S4", "단백질바", "헬시", "40g x 12입", "건강/단백질/프로틴", 19000)]
    vocab = head_vocabulary(rows)
    assert clippings("마요네즈", vocab) == frozenset({"마요"})
    assert clippings("샴푸바", vocab) == frozenset() and clippings("단백질바", vocab) == frozenset()
    q = item_query(("마요네즈",), "계란 못 먹는 애도 먹을 수 있는 마요네즈", vocab)
    catalog = {p.id: p for p in rows}
    cards = ground_products(KeywordRetriever(rows), catalog, "마요네즈", Constraints(excluded_allergens=("알류",)),
                            k=3, item=q)
    assert [c.id for c in cards] == ["M2"]                 # the egg-free 마요, not the 굴소스


def test_a_cooking_verb_matches_the_use_a_name_writes_with_its_noun():
    from assistant.claims import nominals, verb_nouns

    assert nominals("굽다") == ("굽음", "구이") and nominals("볶다") == ("볶음",) and nominals("찌다") == ("찜",)
    assert nominals("사과") == ()
    assert "구이" in verb_nouns("구워먹을") and verb_nouns("먹을") == ()
    rows = [P("B1", "한우 다짐육", "정육", "300g", "신선/정육/소고기", 10000),
            P("B2", "삼겹살 구이용", "정육", "500g", "신선/정육/돼지고기", 14000),
            P("B3", "목살 구이용", "정육", "500g", "신선/정육/돼지고기", 16000),
            P("B4", "앞다리 찌개용", "정육", "500g", "신선/정육/돼지고기", 9000)]
    vocab = head_vocabulary(rows)
    q = item_query(("고기",), "구워먹을 고기", vocab)
    assert q.leaves == frozenset({"소고기", "돼지고기"})     # the meat shelves, their items named otherwise
    assert words_match("삼겹살구이용", q) == 1 and words_match("한우다짐육", q) == 0
    catalog = {p.id: p for p in rows}
    from assistant.grounding import ground

    found = ground(KeywordRetriever(rows), catalog, "고기", Constraints(), k=3, item=q)
    assert {c.id for c in found.cards} == {"B2", "B3"}     # the 구이용 cuts: the use asked for


def test_the_asked_pack_size_on_the_shelf_named_by_the_item_is_the_item():
    rows = [P("R1", "소포장 쌀", "미곡", "1kg", "신선/쌀·잡곡/쌀", 5000),
            P("R2", "신동진 백미", "미곡", "4kg", "신선/쌀·잡곡/쌀", 14900),
            P("R3", "혼합 15곡", "미곡", "4kg", "신선/쌀·잡곡/잡곡", 15900),
            P("R4", "신고배", "과수원", "4kg", "신선/과일/사과·배", 25000),
            P("R5", "부사 사과", "과수원", "1.5kg", "신선/과일/사과·배", 15000)]
    vocab = head_vocabulary(rows)
    catalog = {p.id: p for p in rows}
    q = item_query(("쌀",), "쌀 4kg 2만원 이하", vocab)
    cards = ground_products(KeywordRetriever(rows), catalog, "쌀", Constraints(budget_max=20000), k=3, item=q)
    assert [c.id for c in cards] == ["R2"]                 # the 4kg pack on the 쌀 shelf, not the 잡곡
    # a shelf of two words names neither alone: a 4kg 신고배 is no 사과
    q = item_query(("사과",), "사과 4kg", vocab)
    cards = ground_products(KeywordRetriever(rows), catalog, "사과", Constraints(), k=3, item=q)
    assert "R4" not in {c.id for c in cards}


def test_an_example_named_before_like_is_the_item_and_a_form_is_not():
    rows = [P("M1", "마요네즈", "맛있는", "500g", "가공/소스·양념/소스·드레싱", 4980, allergens=("알류",)),
            P("M2", "비건 마요", "맛있는", "300g", "가공/소스·양념/소스·드레싱", 6480),
            P("M3", "굴소스", "맛있는", "260g", "가공/소스·양념/소스·드레싱", 3980),
            P("M4", "스리라차 소스", "맛있는", "435ml", "가공/소스·양념/소스·드레싱", 6980),
            P("Y1", "어린이 유산균", "뉴트리", "2g x 30포", "건강/영양제/유산균", 18000),
            P("Y2", "식물성 유산균", "뉴트리", "60캡슐", "건강/영양제/유산균", 21900),
            P("Y3", "찹쌀가루", "오늘", "500g", "가공/소스·양념/양념·젓갈", 3980),
            P("Y4", "고춧가루", "오늘", "500g", "가공/소스·양념/양념·젓갈", 15900)]
    vocab = head_vocabulary(rows)
    catalog, retriever = {p.id: p for p in rows}, KeywordRetriever(rows)
    q = item_query(("마요네즈", "소스"), "계란 빼고 마요네즈 같은 소스", vocab)
    assert q.heads == ("마요네즈",)
    cards = ground_products(retriever, catalog, "마요네즈 소스", Constraints(excluded_allergens=("알류",)), k=3, item=q)
    assert [c.id for c in cards] == ["M2"]
    assert item_query(("마요네즈", "소스"), "마요네즈 소스", vocab).heads == ("소스",)   # no example: the last noun
    q = item_query(("유산균", "가루"), "애들 먹일 유산균 가루로 된거", vocab)
    assert q.heads == ("유산균",) and "애들" in q.words      # who it is for is kept, though "먹일" follows it
    cards = ground_products(retriever, catalog, "유산균 가루", Constraints(), k=3, item=q)
    assert cards[0].id == "Y1"                                # 애들 = 어린이


def test_a_word_naming_one_kind_of_a_two_kind_shelf_asks_for_that_kind():
    rows = [P("O1", "저온압착 참기름", "오늘", "160ml", "가공/소스·양념/식용유·참기름", 9480),
            P("O2", "들기름", "오늘", "180ml", "가공/소스·양념/식용유·참기름", 13000),
            P("O3", "카놀라유", "오늘", "900ml", "가공/소스·양념/식용유·참기름", 5980),
            P("O4", "엑스트라버진 올리브유", "오늘", "500ml", "가공/소스·양념/식용유·참기름", 12000),
            P("O5", "아보카도 오일", "오늘", "500ml", "가공/소스·양념/식용유·참기름", 15000),
            P("O6", "들기름", "소담", "180ml", "가공/소스·양념/식용유·참기름", 13000)]
    vocab = head_vocabulary(rows)
    assert "참기름" in vocab.own_kind
    q = item_query(("참기름",), "참기름 국산 깨로", vocab)
    assert q.leaves == frozenset()
    catalog = {p.id: p for p in rows}
    cards = ground_products(KeywordRetriever(rows), catalog, "참기름", Constraints(), k=3, item=q)
    assert [c.id for c in cards] == ["O1"]                    # not the 들기름 beside it


def test_a_kind_word_with_another_word_that_names_products_on_its_shelf_keeps_the_shelf():
    from store import load_catalog

    catalog = load_catalog()
    vocab = head_vocabulary(list(catalog.values()) if isinstance(catalog, dict) else list(catalog))
    assert "티백" in vocab.own_kind           # 녹차·티백: what is named 티백 is the green tea
    assert item_query(("티백",), "티백 주세요", vocab).leaves == frozenset()
    # "캐모마일 티백": the 캐모마일 티 on that shelf is asked for, so the shelf decides (batch Q)
    assert "티백" in item_query(("캐모마일", "티백"), "캐모마일 티백", vocab).leaves


def test_a_department_word_read_last_gives_way_to_the_item_named_before_it():
    rows = [P("D1", "쌀떡뻥", "키즈밀", "30g x 5봉", "유아/이유식·아기간식/아기간식", 6800, tags=("유기농",)),
            P("D2", "꿀설기", "고소한날", "6입", "간식·과자/떡·전통간식/떡", 8480),
            P("D3", "감자칩", "고소한날", "60g", "간식·과자/과자/스낵", 1500),
            P("D4", "강아지 육포", "펫", "100g", "반려/강아지/강아지간식", 5900),
            P("D5", "강아지 사료", "펫", "2kg", "반려/강아지/강아지사료", 15900)]
    vocab = head_vocabulary(rows)
    assert item_query(("떡뻥", "간식"), "유기농 떡뻥 돌쟁이 간식", vocab).heads == ("떡뻥",)
    assert item_query(("간식",), "간식 추천", vocab).heads == ("간식",)
    # both words broad ("강아지" is an aisle): the last one decides, with the shelf spelled apart
    q = item_query(("강아지", "간식"), "강아지 간식", vocab)
    assert q.heads == ("간식",) and q.leaves == frozenset({"강아지간식"})


def test_a_shelf_named_by_its_first_word_and_another_noun_is_that_shelf():
    rows = [P("V1", "오트 음료", "맑은샘", "1L", "음료/주스·식물성음료/두유·식물성음료", 5500),
            P("V2", "아몬드 음료", "맑은샘", "950ml", "음료/주스·식물성음료/두유·식물성음료", 3980),
            P("V3", "무가당 두유", "맑은샘", "190ml x 16팩", "음료/주스·식물성음료/두유·식물성음료", 9900,
              allergens=("대두",)),
            P("V4", "저지방 우유", "목장", "1L", "유제품/우유/우유", 2980, allergens=("우유",)),
            P("V5", "식물성 유산균", "뉴트리", "60캡슐", "건강/영양제/유산균", 21900),
            P("V6", "어린이 유산균", "뉴트리", "2g x 30포", "건강/영양제/유산균", 17900)]
    # the drinks department, mostly named otherwise than 음료 (so 음료 names where, not what)
    rows += [P(f"J{i}", name, "과즙", "1L", "음료/주스·식물성음료/주스", 3000)
             for i, name in enumerate(("오렌지주스", "사과주스", "포도주스", "토마토주스", "배주스", "감귤주스",
                                       "ABC 주스", "망고주스", "자몽주스"))]
    vocab = head_vocabulary(rows)
    q = item_query((), "콩 알레르기라 두유 말고 다른 식물성 우유", vocab)
    assert q.heads == ("식물성음료",) and q.leaves == frozenset({"식물성음료"})
    catalog = {p.id: p for p in rows}
    cards = ground_products(KeywordRetriever(rows), catalog, "식물성 우유",
                            Constraints(excluded_allergens=("대두", "우유")), k=3, item=q)
    assert {c.id for c in cards} == {"V1", "V2"}
    # a product is named so: the 식물성 유산균 is a 유산균, not the drinks' shelf
    assert item_query(("유산균",), "식물성 유산균", vocab).heads == ("유산균",)


def test_a_product_named_for_someone_else_is_not_the_item():
    from assistant.rerank import audience_conflict

    rows = [P("T1", "어린이 칫솔", "구강", "4개입", "뷰티/구강용품/치약·칫솔", 4980),
            P("T2", "초극세모 칫솔", "구강", "10개입", "뷰티/구강용품/치약·칫솔", 8480),
            P("T3", "아기 칫솔", "구강", "2개입", "뷰티/구강용품/치약·칫솔", 3980),
            P("T4", "아이스크림", "빙과", "1L", "간식/아이스크림/아이스크림", 5980)]
    vocab = head_vocabulary(rows)
    catalog = {p.id: p for p in rows}
    q = item_query(("어른", "칫솔"), "어른용 칫솔 여러 개 든 거", vocab)
    assert q.audience == "adult"
    cards = ground_products(KeywordRetriever(rows), catalog, "칫솔", Constraints(), k=3, item=q)
    assert [c.id for c in cards] == ["T2"]
    # a child's and a baby's things are close enough; a word inside a name is no audience
    q = item_query(("칫솔",), "애들 칫솔", vocab)
    assert not audience_conflict(catalog["T3"], q) and not audience_conflict(catalog["T1"], q)
    assert not audience_conflict(catalog["T4"], item_query(("아이스크림",), "강아지 아이스크림", vocab))
