"""Intent rules: ordered regular expressions over normalized Korean text.

`classify(text, signals)` returns `(intent, confidence, harmful, injection)`. Rules run in a
fixed priority order (safety first, then actions, then questions, then search) so that
"땅콩 빼고 추천" is a search while "땅콩 과자 빼줘" removes from the cart. Leaves out
slot values (nlu.slots / nlu.refs) and the LLM fallback (nlu.llm_fallback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.nlu.keywords import verb_lemmas

INJECTION = re.compile(
    r"(?:이전|앞의|앞선|위의|기존|모든|지금까지의?|너의|니|너|넌|네|시스템)\s?(?:지시|명령|지침|규칙|설정|프롬프트|instruction|룰)"
    r"[가-힣\s]{0,8}(?:무시|잊어|잊고|따르지|취소|버려)"
    r"|(?:규칙|지시|지침|룰)(?:은|는|을|를|따위|같은\s?거)?\s?(?:다\s?|전부\s?)?(?:무시하고|어기고|깨고|신경\s?쓰지\s?말고)"
    r"|ignore\s(?:all\s|the\s|any\s)?(?:previous|prior|above|earlier)|disregard\s"
    r"|시스템\s?프롬프트|system\s?prompt|개발자\s?모드|관리자\s?(?:모드|권한)|탈옥|jailbreak|dan\s?모드"
    r"|(?:모든|전|전체)\s?(?:상품|제품|물건|가격)[^.?!]{0,12}(?:0원|공짜|무료)(?:이라고|라고|로|으로)"
    r"|0원(?:이라고|으로|이라|라고)\s?(?:해|말|바꿔|표시|알려|답|안내)"
    r"|가격(?:을|를)?\s?(?:\d+원으로|0원|마음대로)\s?(?:바꿔|수정|변경|해)"
    r"|(?:모든|전체|전)\s?(?:상품|제품|물건)?\s?(?:가격|값)[^.?!]{0,15}(?:0원|공짜|무료|반값|\d+원)[^.?!]{0,6}(?:말해|말하|라고|이라고|으로|로\s)"
    r"|(?:너는|넌|너)\s?(?:이제|이제부터|지금부터)|지금부터\s?(?:너는|넌)|프롬프트(?:를|을)?\s?(?:알려|보여|출력|공개)"
    r"|(?:지시문|지시\s?사항|시스템\s?설정|내부\s?(?:설정|규칙)|지침)[가-힣\s]{0,8}(?:알려|보여|출력|공개|말해)"
)

HARMFUL = re.compile(
    r"(?:수면제|수면\s?유도제|수면\s?유도|진통제|타이레놀|감기약|해열제|신경안정제|안정제|졸피뎀|약)(?:을|를)?"
    r"[가-힣\s]{0,8}(?:한꺼번에|왕창|대량으로|과다|몇\s?알|털어|잔뜩|한\s?통)"
    r"|치사량|과다\s?복용|마약|대마|필로폰|코카인|엑스터시|환각(?:제|버섯)|약물\s?(?:구해|구매|구입)"
    r"|(?:미성년자|미자|청소년|중학생|고등학생|고딩|중딩|초등학생|초딩|열\s?여섯|17살|16살|15살)"
    r"[가-힣\s,]{0,16}(?:술|소주|맥주|와인|담배|전자\s?담배|주류|막걸리|양주)"
    r"|(?:술|소주|맥주|담배|주류)[가-힣\s]{0,12}(?:미성년자|청소년|고등학생|중학생|미자|애들한테)"
    r"|(?:신분증|민증)\s?(?:없이|검사\s?없이|안\s?보고)"
    r"|폭탄|폭발물|사제\s?총|독극물|독약|(?:사람|누구|친구|애)(?:을|를)?\s?(?:해치|죽이|다치게|때리)"
    r"|죽이는\s?(?:법|방법)|살인(?:마|범|청부|\s?방법|하는|을)|흉기|(?<!무)(?:농약|세제|락스)[가-힣\s]{0,8}(?:먹이|타서|몰래|섞어)"
    r"|몰래\s?(?:먹이|타)|자살|죽고\s?싶|자해"
    r"|(?:비밀번호|와이파이|계정|아이디)[가-힣\s]{0,8}(?:뚫|훔치|훔쳐)|해킹\s?(?:하는|하려|해\s?줘|방법|법)"
)

# Never about groceries, whatever verb comes with them ("비트코인 사야 돼?").
HARD_OFF_TOPIC = re.compile(
    # the weather as the reason for a purchase ("비 오니까 부침개 땡기네") is not the topic
    r"날씨|기온|미세\s?먼지|(?:비|눈)\s?(?:와|오|올)(?!건)(?!니까|니깐|는데|(?:아|와)서|길래|면)|주식|주가|코스피|코스닥|비트\s?코인|코인|환율"
    r"|뉴스|정치|대통령|선거|로또|운세|별자리|타로|숙제|과제|코딩|파이썬|python|번역|수학"
)
# Off topic unless the message also talks about food or buying ("영화 볼 때 먹을 간식").
OFF_TOPIC = re.compile(
    HARD_OFF_TOPIC.pattern + r"|축구|야구|영어로|시\s?(?:써|지어)|노래|영화|드라마|맛집|여행|연애|소개팅|게임"
    r"|몇\s?시야|지금\s?몇\s?시|너\s?누구|넌\s?누구|심심|농담|재미있는\s?얘기"
    # about the assistant itself, and bookings of travel
    r"|(?:너|넌|네)\s?(?:이름|정체|나이)|(?:너|넌)\s?(?:혹시\s?|진짜\s?)?(?:뭐야|사람|로봇|gpt|chatgpt|챗gpt|챗봇|ai|인공지능)|(?:사람|로봇|ai|인공지능|봇)\s?(?:이야|이에요|예요|인가요|이니|이지)\s?\?"
    r"|ktx|srt|기차표|비행기|항공권|예매|호텔|숙소|펜션|렌터카|렌트카|택시|대리운전|예약(?!\s?(?:배송|주문|구매|판매|상품))"
)
# how to cook a dish, asked with nothing to buy ("떡볶이 만드는 법이랑 재료" buys the ingredients)
_RECIPE = re.compile(r"(?:끓이는|만드는|요리하는|굽는|볶는|담그는|조리하는)\s?(?:법|방법)|레시피|요리법|조리법")
_BUYING_WORDS = re.compile(r"재료|사려|사야|살\s?(?:게|거|까)|주문|추천|담아|찾아|있어요|있나|팔아|구매")
# a message of greeting words only (the assistant's name already taken out)
_GREET_ONLY = re.compile(r"(?:ㅎㅇ|안녕\S*|안뇽\S*|하이\S*|반가\S*|반갑\S*|처음\s?왔\S*|오늘도|이번에도|앞으로도|잘|부탁\S*|[~!.ㅎ^]|\s)+")
GREETING = re.compile(
    r"안녕|안뇽|안냥하|잘\s?부탁(?:해|드려|합니다)|하이|^hi\b|hello|헬로|ㅎㅇ|반가|반갑|처음\s?왔|좋은\s?(?:아침|하루|저녁)|고마워|고맙|감사|ㄱㅅ|thank"
    r"|잘\s?있어|수고|^bye|바이바이|ㅂㅂ|^ㅎㅎ$|^ㅋ+$|^네$|^넵$|^ㅇㅇ$"
)

REORDER = re.compile(
    r"(?:지난번|저번|지난\s?번|전번|예전)(?:이랑|하고|과|처럼|에|거|꺼|주문)?[가-힣\s]{0,10}(?:똑같|같은|같이|그대로|다시|또)"
    # "저번에 시킨 계란 이번엔 두 판으로": the last order's product, this time in another amount
    r"|(?:지난번|저번|지난\s?번|전번|예전|전에)\s?(?:에\s?)?(?:시킨|산|샀던|주문한|구매한)\s?[가-힣]{1,10}\s?(?:이번엔|이번에는|이번에도)"
    r"|재주문|다시\s?(?:주문|시켜|사|담아|구매)|또\s?(?:시켜|주문)|(?:늘|항상|맨날|자주)\s?(?:사던|시키던|먹던|사는|주문하던)"
    r"|지난\s?주문\s?(?:그대로|다시)|(?:했던|샀던|시켰던|주문했던|구매했던)\s?(?:[가-힣]{1,8}\s?)?(?:을|를)?\s?(?:그대로|다시|또|똑같이)\s?(?:살|사|주문|시키|담|구매)"
    r"|(?:했던|샀던|시켰던)\s?(?:거|걸|것)\s?(?:그대로|다시|또|똑같이)"
    # "전에 샀던 세제 한 번 더", "시켰던 세제 두 통 더", "지난달에 시킨 모래 또 시킬래요": bought, once more
    r"|(?:샀던|시켰던|주문했던|구매했던)\s?(?:[가-힣]{1,8}\s?){0,3}(?:을|를)?\s?(?:한\s?번|(?:\d{1,3}|한|두|세|네|다섯)\s?[가-힣]{1,2})\s?더"
    r"|(?:지난|저번|예전|전에|작년|며칠\s?전|얼마\s?전)[가-힣\s]{0,5}(?:산|샀던|시킨|시켰던|주문한|주문했던|구매한|구매했던)"
    r"\s(?:[가-힣]{1,8}\s?){1,3}(?:을|를)?\s?(?:한\s?번\s?더|다시|또|그대로|똑같이)\s?(?:시키|시킬|시켜|주문|사|살|담|구매|$|[0-9]|(?:한|두|세|네|다섯)\s)"
    r"|주문\s?(?:똑같이|그대로)\s?(?:한\s?번\s?더|다시|또)"
    # "지난주 주문한거 그대로 한번더", "주문번호 A2026... 그대로 한 번 더": that order, once more
    r"|(?:주문한|주문했던|시킨|산)\s?(?:거|걸|것)\s?(?:그대로|똑같이)\s?(?:한\s?번\s?더|다시|또|주문|시켜)"
    r"|주문\s?번호[^.?!]{0,24}(?:그대로|똑같이)\s?(?:한\s?번\s?더|다시|또)"
)
CART_REMOVE = re.compile(
    r"(?:담은|넣은|담았던)\s?(?:거|것|건|걸)\s?(?:다\s)?취소|빼(?:줘|\s줘|주세요|\s주세요|줄래|주라|요$|$|\s?버려)|뺄래|뺄게|삭제|지워|없애(?!는)|제거(?:해|좀|\s?부탁)|비워|취소해|줄여"
)
CART_ADD = re.compile(
    r"담아|담어|담자|담을게|담을래|담고|담기|(?<!주문)(?<!주문\s)(?:넣어|넣자|넣을게)|추가(?:해|할게|할래|요|$)|사\s?줘|살게|살래"
    r"|구매할게|구입할게|(?:이걸로|그걸로|저걸로|이거로|그거로)\s?(?:할게|할래|주세요|요|줘|살게)"
    r"|하나\s?더|한\s?개\s?더|더\s?(?:담|넣|추가)|(?:장바구니|카트)(?:에|로)?\s?(?:고고|고|ㄱ|go)"
    r"|(?:장바구니|카트)(?:에|로)\s?(?:요|좀)?\s?[.!~]*$"
)
CHECKOUT = re.compile(
    r"(?:결제|계산|주문|구매)\s?(?:까지\s?)?(?:할게|할래|하자|해줘|해\s?줘|해주세요|해\s?주세요|하기|진행|하고\s?싶|할께|ㄱ|완료|하겠|해요$|할게요)"
    r"|주문\s?(?:넣어|넣자|넣을게)"   # "주문 넣어주세요": place the order
    r"|(?:이대로|그대로|전부|다|나머지)\s?(?:주문|결제|계산|구매)|(?:장바구니|카트)[가-힣\s]{0,6}(?:결제|주문|계산)"
    r"|체크아웃|checkout|결제창|(?:결제|계산|주문)\s?(?:ㄱ|고고|고|go)(?![가-힣])|^(?:이제|그럼|자)?\s?(?:결제|계산)(?:요|할게요|해요)?\s?[.!~]*$"
)
CART_VIEW = re.compile(
    r"(?:장바구니|카트|담은\s?거|담긴\s?거|담은\s?것|담았던\s?거)[가-힣\s]{0,8}(?:보여|확인|뭐|뭘|봐|볼래|목록|리스트|얼마|총|합계|있|들어|몇)"
    r"|^(?:장바구니|카트)(?:\s?좀)?\s?[?]?$|뭐\s?담았|총\s?(?:얼마|금액)|합계|지금\s?몇\s?개\s?담"
)
ORDER_STATUS = re.compile(
    r"주문[가-힣\s]{0,8}(?:어디|언제|상태|조회|확인|현황|내역|목록|됐|되었|들어갔|접수|출발)"
    r"|배송\s?(?:조회|추적|현황|상태|어디)|택배[가-힣\s]{0,6}(?:어디|언제|조회|안\s?와|안\s?왔)"
    r"|(?:시킨|주문한|산|구매한)\s?(?:거|게|것|물건|상품)[가-힣\s]{0,10}(?:언제|어디|왔|오|도착|출발|안\s?와|시작|발송|출고|보냈|나갔)"
    r"|언제\s?(?:와|오|도착)|아직(?:도|까지)?\s?안\s?(?:와|왔|오)|어디쯤"
)
ATTRIBUTE = re.compile(
    r"유통\s?기한|소비\s?기한|원산지|성분|원재료|(?<!제로)(?<!저)(?<!무)칼로리(?!\s?(?:낮은|적은|없는|제로))|열량|(?<!대)(?<!소)(?<!작은\s)(?<!작은)(?<!적은\s)(?<!큰\s)(?<!큰)용량|중량|몇\s?(?:g|그램|ml|키로|kg|개입|개\s?들어|인분)"
    r"|보관(?:법|방법|은|해야|어떻게)|맛(?:은|이)?\s?(?:어때|어떤|어떻)|후기|리뷰(?:는|가)?\s?(?:어때|어떤)|재고|품절|입고"
    r"|차이|비교|달라|다른\s?점|뭐가\s?(?:더|나아)|어떤\s?게\s?(?:더|나아)|어느\s?(?:게|거|쪽)|(?<!안\s)(?<!안)(?<!적게\s)(?<!적게)(?<!덜\s)(?<!덜)들어\s?(?:있|가|간|갔)"
    r"|함유|먹어도\s?(?:돼|되|괜찮)|[가-힣](?:어도|아도|해도|려도|여도)\s?(?:돼|되|괜찮)|먹여도|괜찮(?:나|을까|아요?\s?\?)|얼마(?:예요|야|인가요|죠|에요|\?|$)|가격(?:이|은)?\s?(?:얼마|어떻게)"
    r"|(?:매워|매운가|짜|짠가|달아|단가|싱거워|딱딱해|질겨|부드러워)(?:요)?\s?\?|(?:냉동|냉장|상온)\s?(?:이에요|인가요|이죠|이야|보관)"   # taste, storage
    r"|몇\s?(?:매|롤|구|팩|봉지|캔|병|장|알|포)(?=짜리|이에요|예요|인가|이야|\s?\?|\s?$)"
    r"|할인\s?(?:해|중|하나|돼)|세일|맞(?:아|나)(?:요)?\s?\??$|맞(?:죠|지요|나요|아요|습니까)\s?\?|(?:이에요|예요|인가요|인지|이야|인가)\s?\?"
)
PRODUCT_CONTEXT = re.compile(r"먹|마시|마실|간식|음식|반찬|재료|요리|장보|구매|살\s|사\s?(?:야|고|려)|선물|과자|음료|도시락")
# request verbs both request patterns share: "찾아줘" (not 찾아가), "골라줘" (not 골라서, a past
# choice), "보여줘" (not 안 보여, cannot see; not 보여야, must show)
_FIND = r"찾아(?!가|갈|간|와|왔|오)"
_PICK = r"골라(?!서|버렸|왔)"
_SHOW = r"(?<!안)(?<!안\s)보여(?!요|서|도|지|야|\s?줘야)"
STRONG_REQUEST = re.compile(rf"추천|{_FIND}|찾고|{_PICK}|{_SHOW}|사고\s?싶|살만한|먹을만한|뭐가\s?좋|뭘\s?사|뭐\s?사|어떤\s?게\s?좋|담아|넣어")
COMPARE = re.compile(r"차이|비교|달라|다른\s?점|뭐가\s?더|어떤\s?게\s?더|어느\s?(?:게|거|쪽)|둘\s?중")
HOUSEHOLD = re.compile(
    r"키우(?:고|는|며|거든)|키워요|혼자\s?살|자취|(?:\d|두|세|네|다섯)\s?(?:인|식구|명)\s?(?:가족|가구|이에요|예요)"
    r"|임산부|임신|수유|다이어트\s?중|운동\s?(?:해|하)|당뇨|고혈압|아기\s?(?:있|키)|애가\s?(?:있|둘|셋)"
)
SELF = re.compile(
    # "먼지 안 나는 거": 나다 (to come out) before 거/게/걸 is no "나는" (I)
    r"(?:^|\s)(?:저|전|제가|저는|나|난|내가|나는|저희|우리)(?:\s|$|도|는|도요)(?!\s?(?:거|게|걸|것)(?:\s|$|[은는을를이가요로]))"
    r"|(?:우리|저희)\s?(?:애|아이|아기|집|가족|남편|아내|딸|아들)|(?:애|아이|아기|남편|와이프|아내|엄마|아빠|딸|아들)(?:가|이|는|도)\s"
)
DECLARE = re.compile(
    r"(?:이에요|예요|입니다|이야|임|이거든요|이라서|라서요|라서|있어요|있어|있음|있습니다|있거든요|해요|합니다|하고\s?있어요"
    r"|중이에요|중이야|키워요|키워|살아요|살아|이에욤|여요|(?:못|안)\s?먹[가-힣]*|먹으면\s?안\s?돼[가-힣]*"
    r"|(?:좋아|싫어)[가-힣]*|안\s?맞아[가-힣]*)\s?[.!~ㅠㅜ]*$"
)
# "알러지 정보 업데이트요: 갑각류 추가", "제 알레르기 목록에 복숭아도 넣어 주세요": editing the
# shopper's own allergy or diet record, not a cart line and not a question about labels
PROFILE_EDIT = re.compile(
    r"(?:알레르기|프로필|내\s?정보|제\s?정보|식단|체질)[가-힣\s:]{0,14}(?:추가|등록|업데이트|수정|넣어|저장|바꿔|변경|기록)"
    # "우유 알레르기 다 나았어요 목록에서 지워주세요": taken off the record
    r"|(?:알레르기|프로필|내\s?정보|제\s?정보|식단)[가-힣\s:]{0,20}(?:목록|리스트|정보|기록|프로필)\s?에서\s?(?:지워|삭제|빼|없애)"
    r"|(?:추가|등록|업데이트|수정|넣어|저장|기록)[가-힣\s]{0,10}(?:알레르기|프로필)"
    # "유당불내증 있다고 저장 좀 해 둬", "저 비건이라고 기억해 두세요"
    r"|(?:있다고|이라고|라고|다고)\s?(?:좀\s?)?(?:저장|기억|등록|기록)|(?:저장|기억|등록)\s?(?:좀\s?)?해\s?(?:둬|놔|두세요|놓아|놔요|둬요)"
)
MEMORY = re.compile(r"앞으로|항상|기억해|프로필|설정해|저장해|등록해|내\s?정보에|담부터|다음부터|이제부터")
# "추천하지 마", "추천 안 해줬으면", "안 보고 싶어요": what not to be shown any more
NOT_SHOWN = re.compile(r"추천\s?(?:하지\s?마|하지\s?말|안\s?해|안\s?했으면|하지\s?않|말아)|보여\s?주지\s?(?:마|말)|권하지\s?마"
                       r"|안\s?(?:보고\s?싶|봤으면|보이게)|보기\s?싫")
REQUEST = re.compile(
    rf"추천|{_FIND}|찾고|찾는|{_SHOW}|{_PICK}|뭐\s?(?:있|살|사|먹|좋)|어떤\s?(?:거|게)|있어\s?\?|있나요|있어요\s?\?|있을까|있니"
    r"|없어\s?\?|없나요|없을까|사고\s?싶|살까|필요해|필요한데|필요해요|구해|알아봐|살만한|먹을만한|괜찮은\s?거|리스트|목록"
    r"|뭐가\s?(?:좋|괜찮|맛있)|어떤\s?게\s?(?:좋|괜찮|맛있)|(?:좋은|괜찮은|맛있는|싼|저렴한|나은)\s?(?:거|게|걸|것)\s?(?:뭐|뭘|어떤|어느)|(?:높은|낮은|싼|저렴한)?\s?순(?:으로|서로)|정렬"
    r"|있나\s?[?]|있나\s?[.~]*$|없나\s?[?]|없나\s?[.~]*$|있으면\s?(?:알려|추천|보여)|사려(?:고|는데|구)|살려고|살\s?(?:거예요|거에요|게요|래요)|(?:걸로|거로|으로|로)\s?부탁"
    r"|(?:그거|이거|저거|그건|이건)\s?말고|말고\s?(?:그냥|다른|좀)?\s?[가-힣]{1,6}\s?(?:있|없|로|으로|요|$)"
    r"|더\s?[가-힣]{1,3}(?:운|은|한|큰|싼)\s?(?:거|걸|것|게|걸로)|(?:걸로|거로|것으로)(?:요|만)?\s?[.!~]*$"
    r"|더\s?(?:싼|저렴|비싼|좋은)|다른\s?(?:거|것|걸|제품|상품)|(?:이하|이상|까지|안쪽)로만?|사야|장보기|장\s?볼|뭐\s?(?:해\s?)?먹"
    # a message that ends on what it is for: "복숭아 알레르기 아이가 마실 주스"
    r"|(?:먹을|마실|먹일|쓸|바를|입힐|신길|줄)\s[가-힣]{1,8}\s?[.!~?]*$|(?:먹을|마실|먹일|쓸)\s?(?:거|것|걸)(?:요)?\s?[.!~?]*$"
    # switching to another product: "생선으로 바꿀게요", "사료 바꿔 보려는데"
    r"|(?:으로|로)\s?(?:바꿀게|바꿀래|바꿀까|바꿔\s?주|바꾸려|바꿔\s?볼)|바꿔\s?보려|바꾸려(?:고|는데|구)|바꿔\s?볼까"
)
POLICY_ASK = re.compile(
    r"\?|어떻게|언제|얼마|되나|돼요|되요|되죠|돼\?|가능|있나|있어요|뭐예요|뭐야|알려|궁금|기간|방법|비용|수수료|규정|정책|몇\s?시"
    r"|하려면|하고\s?싶|할\s?수|해야|해주세요|해줘|안\s?돼|안돼|안되|못\s?하|어디"
)


CART_WORDS = re.compile(r"장바구니|카트")
# the words a message may end on after the product it asks for: "닭 안 들어간 사료요",
# "술안주 할 스낵 좀", "두유 말고"
_PRODUCT_TAIL = re.compile(r"(?:이요|요|좀|으로|로|으로요|로요|류|류요|이나|나|도|만)?\s?(?:좀|요)?\s?(?:[가-힣]{1,4}\s?말고)?\s?[.!~?]*")
# "유청 말고 식물성으로": one kind chosen instead of another
_CHOICE = re.compile(r"(?:말고|대신|말구)\s?[가-힣]{1,8}(?:으로|로)(?:요|만)?(?=\s|$|[.!~,])"
                     r"|[가-힣]{2,8}(?:으로|로)\s?(?:할게|할래|갈게|갈래|바꿀게|바꿀래)")   # "그냥 소고기로 할게요"
_PERSON_WORDS = frozenset({"애", "아이", "애기", "아기", "아가", "강아지", "고양이", "반려견", "반려묘", "남편", "아내", "와이프"})


def _ends_on_product(text: str, keywords: tuple[str, ...]) -> bool:
    """The message ends on a product it asks for ("...닭 안 들어간 사료요", "...중에 돼지고기 없는
    거"), after whatever it says about the shopper: a search, not a profile statement."""
    if re.search(r"(?:없는|안\s?들어간|안\s?든|빠진)\s?(?:거|걸로|것|걸)\s?(?:요|으로요|로요)?\s?[.!~?]*$", text):
        return True
    for k in keywords:
        if k in _PERSON_WORDS:
            continue
        # the keyword may be a catalog kind written whole ("식물성음료" for "식물성 음료")
        found = list(re.finditer(r"\s?".join(map(re.escape, k)), text))
        if not found:
            continue
        i, j = found[-1].span()
        if (i == 0 or not re.match(r"[가-힣]", text[i - 1])) and _PRODUCT_TAIL.fullmatch(text[j:]):
            return True
    return False


# "결제하기 전에", "주문할 때": when a rule applies, not a request to pay now
_BEFORE_PAYING = re.compile(r"(?:결제|계산|주문|구매)\s?(?:하기|할)\s?(?:전에?|직전에?|때|시에?)")
# calling the assistant before asking anything
_CALLING = re.compile(r"\s*(?:저기요|여기요|저기)\s?(?:도와\s?주(?:실|시겠|세요|실래요)[가-힣\s]{0,6}|도우미님?|장보기님?)?\s?[?!~.]*\s*")
# the assistant called by its name ("하이 장보기~")
_ASSISTANT_NAME = re.compile(r"장보기\s?(?:님|야|아|씨|봇)?")
# a yes/no question: "되나요", "돼요?", "인가요", "있나요"
_YES_NO_END = re.compile(r"\?\s*$|(?:나요|가요|되나|돼요|되요|인가|인가요|거죠|건가요|까요|습니까)\s?[.~]*$")
# a question word: "어떤 과자가 좋아요?" asks for products, not yes or no
_WH = re.compile(r"어떤|무슨|뭐|뭘|무엇|어느|어디|언제|얼마|추천")
# may this be eaten / given: "먹여도 되나요", "마셔도 괜찮아요?"
# ("괜찮아요" alone, said and not asked, is no question: "닭가슴살 소시지도 괜찮아요")
_MAY_EAT = re.compile(r"(?:(?:(?:먹어도|먹여도|마셔도|드셔도|줘도|발라도|써도|사용해도)\s?(?:돼|되|괜찮)[가-힣]{0,4}"
                      r"|(?:먹을|먹일|마실)\s?수\s?있(?:나요|어요|을까요|을까|나|니|습니까)"
                      r"|괜찮(?:나요|을까요|을까|나|죠|겠죠|겠어요))\s?\??|괜찮아(?:요)?\s?\?)\s*$")
# an allergy as a condition: "우유 알레르기면", "땅콩 못 먹으면"
_IF_ALLERGIC = re.compile(r"(?:알레르기|allerg[a-z]*)\s?(?:(?:가|이)\s?있(?:으면|다면)|(?:이|이라)?면)|(?:못|안)\s?먹(?:으면|는다면)")
# an exclusion verb and nothing else ("빼주세요", "그것도 제외해 주세요")
_EXCLUDE_ONLY = re.compile(r"(?:그것도|그거도|그것까지|그건|다|전부|같이|함께|좀|\s)*"
                           r"(?:빼|제외)[가-힣]{0,2}(?:\s?(?:주세요|줘요|줘|줄래요|주실래요|주시겠어요|해\s?주세요|해\s?줘|해요))?\s?[.!~]*")
_DESCRIBED_CHOICE = re.compile(r"(?:없는|있는|안\s?들어간|들어간|[가-힣]{1,4}(?:한|된|운|인|은))\s?(?:걸로|거로|것으로)\s?(?:좀\s?)?(?:주세요|줘|주시)")
# "그 물티슈 새벽배송으로 받을 수 있어요?": can the product shown come that way
DELIVERY_ASK = re.compile(r"(?:배송|배달|택배)(?:으로|로|이|은|는|도)?\s?(?:받을\s?수|올\s?수|와요|되나|돼요|되요|가능)")

# "그중에", "거기서": the shopper points into the results already shown
POINTER = re.compile(r"그\s?중|이\s?중|저\s?중|거기서|여기서|저기서|방금\s?(?:거|것)\s?중|위에서")
_POINTING_KINDS = ("index", "cheapest", "most_expensive", "best_rated")


# Someone else's data is never shown: "다른 사람 주문내역 좀 보여줘"
OTHERS_DATA = re.compile(r"(?:다른|남의|딴)\s?(?:사람|고객|회원|분)(?:의|이|들)?\s?[가-힣\s]{0,6}(?:주문|주소|정보|내역|전화|연락처|결제)")

SQL_LIKE = re.compile(
    r"\b(?:select|drop|insert|delete|update|union)\b.*\b(?:from|table|into|set|where)\b|<script|--\s*$"
)


@dataclass(frozen=True)
class Signals:
    """What the slot extractors found, for intent decisions."""

    has_reference: bool = False
    reference_kind: str | None = None  # Reference.kind when has_reference
    has_amounts: bool = False
    has_budget: bool = False
    has_tags: bool = False
    has_allergens: bool = False
    has_brands: bool = False
    has_avoid_brands: bool = False
    has_keywords: bool = False
    keywords: tuple[str, ...] = ()
    has_category: bool = False
    has_urgency: bool = False
    give_verb: bool = False        # "사과 주세요": 주다 as the main verb, not "추천해 주세요"
    policy_topic: str | None = None
    order_id: str | None = None
    service_words: tuple[str, ...] = ()   # keywords the help center uses and the catalog does not sell


# Topics about an order already placed (returns, refunds, changes): with them "빼", "결제" or
# an order number ask the policy, they do not edit the cart or look up a delivery.
_AFTER_ORDER_TOPICS = ("교환반품", "환불", "주문")
# an order already placed (or a gift sent) that the message is about
_PLACED = re.compile(r"(?:주문|결제|구매)\s?한\s?(?:거|것|게|건)\s?(?:에|에다|에서)|(?:선물|택배)\s?(?:을|를)?\s?보냈(?:는데|더니|어요)"
                     r"|(?:주문|결제)\s?(?:했|한)\s?(?:는데|거|건)[^.?!]{0,20}(?:추가|빼|바꾸|바꿀|변경|취소)[^.?!]{0,6}(?:수|돼|되|가능)")


# ---- store rules asked as situations -------------------------------------------------------
# Shoppers ask a rule by telling what happened or what they plan ("중1인데 혼자 가입할 수
# 있나요", "에어프라이어 받은 지 닷새인데 전원이 안 들어와요") rather than with a topic word;
# these name the situation, the question form and the complaint it comes as.

# a question: a question mark, a question ending, or "can it be done" / "is it fine if"
ASKS = re.compile(
    r"\?|(?:나요|까요|가요|되나|돼요|되요|거죠|건가요|인가요|건가|죠|습니까|을까|ㄹ까|나)\s?[.~ㅠㅜ]*$"
    r"|(?:할|될|받을|쓸|바꿀|늘릴|줄일|올|갈|볼|알)\s?수\s?(?:있|없)[가-힣]*\s?[.~ㅠㅜ]*$"
    r"|면\s?(?:돼요|되나요|되죠|될까요|돼|되나)|괜찮은\s?(?:건가|거예요|거죠)|어떻게\s?(?:해요|하나요|돼요|되나요)"
)
# something received, or about to arrive: "어제 온 사과", "받은 지 닷새인데", "딸기 받았는데"
_RECEIVED = re.compile(
    r"(?:왔|받았|도착했|배송됐|배송\s?왔)(?:는데|더니|어요|어|네|음|고|다)"
    # "어제 온", "어제 새벽에 온", "오늘 아침에 받은": a time word, maybe one "X에" between
    r"|(?:어제|오늘|그저께|엊그제|지난주|방금)\s?(?:[가-힣]{1,3}에\s?)?(?:온|받은|도착한)"
    r"|받은\s?(?:지|게)|받은지|[가-힣]\s?(?:게|거|것|건)\s?(?:오면|왔)"
    r"|(?<![가-힣])(?:산|샀던|구매한|구입한)\s?(?:지|걸|거|게|건)(?![가-힣])|(?:샀|구매했|구입했|시켰|주문했)(?:는데|더니)"
    # opened it: "포장 뜯었더니", "열어 보니", "받아 보니"
    r"|(?:뜯었|열었|까\s?봤|까봤)(?:는데|더니)|(?:열어|받아|뜯어)\s?(?:보니|봤더니)"
)
# what is wrong with it, or what the shopper asks the store to do about it
_FAULT = re.compile(
    r"안\s?(?:들어와|켜|돌아가|돌아|열려|잠겨|맞아)|뭉개|찌그러|깨져|깨졌|터져|터졌|시든|시들|상했|상한|곰팡이|고장|별로"
    r"|녹아|녹았|새요|샜|불량|이상해|이상한|정상|신고|바꿔\s?주|바꿀\s?수|교환|환불|반품|돌려"
    r"|젖어|젖었|찢어|찢겨|찢긴|파손|망가|구겨|부서|눌려|뜯겨|흘러|새서|금\s?(?:가|갔)|빠져\s?(?:있|왔)"
    # not ripe, or something in it: "덜 익은 것 같아요", "벌레가 나왔어요", "머리카락이 들어 있어요"
    r"|덜\s?익|안\s?익었|벌레|이물질|머리카락|비린내|쉰내|냄새가?\s?(?:너무|좀|이상|심)"
    # past its date: "유통기한이 이미 지났어요", "기한 지난 게 왔어요"
    r"|(?:유통|소비)?기한\s?(?:이|은|도)?\s?(?:이미|벌써|다|좀)?\s?(?:지났|지난|넘었|넘은|넘어서)"
)
# the same faults by their verb stem, whatever the ending ("물러 있어요", "시들었고", "뜯겨 왔어요")
_FAULT_LEMMAS = frozenset({"무르", "시들", "상하", "썩", "깨지", "터지", "찌그러지", "뜯기", "찢어지", "찢기", "부서지",
                           "망가지", "녹", "새", "젖", "구겨지", "눌리", "멍들"})
# trouble told as a statement ("글씨가 안 보여요", "비밀번호 까먹었어요"): asks for help like a question
_TROUBLE = re.compile(r"안\s?(?:보여|보이|보임|돼|되네|되는데|나와|나오|들려|먹혀|열려)|못\s?(?:찾겠|보겠|읽겠)|까먹|잊어버|잃어버|모르겠")
# an order already placed, changed afterwards: "이미 주문했는데 수량만 늘릴 수 있어요?"
_PLACED_CHANGE = re.compile(
    r"(?:(?:이미|벌써)\s?(?:주문|결제|구매)|(?:주문|결제|구매)\s?(?:했는데|한\s?(?:주문|거|건|것)에?|된\s?주문에?|완료된\s?주문에?))"
    r"[^.?!]{0,30}(?:추가|늘리|늘릴|줄이|줄일|빼|바꾸|바꿀|변경|수정|취소|더\s?(?:넣|끼워|담|보내|붙)|끼워\s?넣)"
)
# what a label on the package promises: "비건 표시 붙은 과자는 계란 안 들어간 거 맞죠?"
_LABEL = re.compile(r"(?:표시|마크|표기|인증|라벨)\s?(?:가|이|는|은|도)?\s?(?:붙은|붙어|있는|있으면|된|돼|되어|붙여|기준)"
                    r"|(?:이|이라|라)고\s?(?:써|적혀|쓰여|나와)\s?있")
_CONFIRM = re.compile(r"(?:거|건|것)\s?(?:죠|맞죠|맞나요|맞아요|인가요|예요|이죠)|맞(?:죠|나요)|붙여요|기준|믿어도|확실")
# a plan under a condition: "탈퇴하면", "결제하자마자 매장 가면", "등록하면"
_IF_DONE = re.compile(r"[가-힣](?:면|자마자)\s")
# how to place an order of that kind: "그냥 주문하면 되나요", "그냥 앱에서 하면 돼요?"
_HOW_TO_ORDER = re.compile(r"(?:그냥|따로|앱에서|어디서)\s?(?:[가-힣]+\s)?(?:주문|구매|결제|신청)?\s?하면\s?(?:돼|되|될까)")
# "X 있어요?" asks whether the store sells X
_STOCK_END = re.compile(r"[가-힣a-z0-9](?:도|은|는|이|가)?\s?(?:있어요|있나요|있어|있나|있을까요|없나요|없어요)\s?[?.~]*$")


def situation(text: str, sig: Signals) -> str | None:
    """Why a message asks a store rule though it names no topic word, or None: "received" (a
    product that came, and what is wrong or wanted about it), "placed" (an order already placed,
    changed), "label" (what a label promises), "service" (a help-center word and no product),
    "how_to_order". A request for products ("추천", "찾아줘") or a pointer at one shown is none."""
    if STRONG_REQUEST.search(text) or sig.has_reference:
        return None
    asks = bool(ASKS.search(text))
    if _PLACED_CHANGE.search(text) and (asks or re.search(r"가능|되나|돼요|되요", text)) and not CART_WORDS.search(text):
        return "placed"
    if _RECEIVED.search(text) and (_FAULT.search(text) or verb_lemmas(text) & _FAULT_LEMMAS):
        return "received"
    # "이 과자 비건 표시 있는 거 맞죠?" asks about the product shown, not about labels in general
    # (a product word: "그 정보로 광고 보내요?" points at no product, it is still a rule)
    m = re.match(r"(?:이|그|저)\s(?!중|거|것|게|걸)([가-힣]{2,})", text)
    pointed = bool(m) and any(m.group(1).startswith(k) for k in sig.keywords if k not in sig.service_words)
    if _LABEL.search(text) and (_CONFIRM.search(text) or asks) and not _STOCK_END.search(text) and not pointed:
        return "label"
    if ORDER_STATUS.search(text) or sig.order_id or (OFF_TOPIC.search(text) and not PRODUCT_CONTEXT.search(text)):
        return None   # where an order is, and the weather or the assistant itself, are no store rule
    if _HOW_TO_ORDER.search(text):
        return "how_to_order"
    if (sig.service_words and (asks or _TROUBLE.search(text) or re.search(r"방법|절차", text))
            and not sig.has_category and not sig.has_brands
            and not pointed
            and not REQUEST.search(re.sub(r"[가-힣]\s?수\s?있[가-힣]*|(?<=[가-힣])있[가-힣]*", " ", text))):
        return "service"
    return None


# the help-center topic each kind of situation is about ("service": its words' own documents)
_SITUATION_TOPICS = {"received": "교환반품", "placed": "주문", "label": "알레르기", "how_to_order": "주문"}


def situation_topic(text: str, sig: Signals) -> str | None:
    """The policy topic a situation (see `situation`) asks about, or None when unsure: a fixed
    one per kind, or for help-center words the one document family that uses the most specific
    of them (a word two or more families share names none)."""
    reason = situation(text, sig)
    if reason in _SITUATION_TOPICS:
        return _SITUATION_TOPICS[reason]
    if reason == "service":
        from assistant.nlu.helpcenter import service_vocabulary

        vocab = service_vocabulary()
        families = [vocab[w] for w in sig.service_words if w in vocab]
        narrow = [f for f in families if len(f) == 1]
        if narrow and len({next(iter(f)) for f in narrow}) == 1:
            return next(iter(narrow[0]))
    return None


def classify(text: str, sig: Signals, rest: str | None = None) -> tuple[str, float, bool, bool]:
    """(intent, confidence, harmful, injection) for normalized text. `rest` is the text with
    the allergy clauses blanked ("땅콩 들어간 건 빼주세요"): safety checks read the whole
    message, the other rules read `rest`."""
    if INJECTION.search(text):
        return "out_of_scope", 0.95, False, True
    if HARMFUL.search(text):
        return "out_of_scope", 0.95, True, False
    whole = text
    if OTHERS_DATA.search(text):
        return "out_of_scope", 0.9, False, False
    if rest is not None and re.search(r"[가-힣a-z0-9]", whole):
        text = re.sub(r"\s+", " ", rest).strip()
        if not re.search(r"[가-힣a-z0-9]", text):  # the whole message was the allergy clause
            asks = re.search(r"빼|제외|말고|없는|없이|free|패스|사절|걸러|거르", whole)   # "견과류는 빼주세요" vs "우유 못 먹어요"
            # "새우젓 들어간 김치는 안 돼요": a kind of product with the allergen in it is refused
            asks = asks or (sig.has_keywords and re.search(r"(?:들어간|들어있는|든|넣은)\s?[가-힣]{2,}", whole))
            return ("search" if asks else "profile_update"), 0.75, False, False
        if sig.has_allergens and _EXCLUDE_ONLY.fullmatch(text):
            # "대두도 좀 걸리네요. 빼주세요": the allergy clause, then only the verb that excludes it
            return "search", 0.75, False, False
    if (sig.policy_topic and _IF_DONE.search(text + " ") and ASKS.search(text) and not CART_WORDS.search(text)
            and not STRONG_REQUEST.search(text)):
        # "탈퇴하면 기록까지 지워져요?", "알레르기 등록하면 광고 문자 와요?": what happens if the
        # shopper does it is the store's rule, not the action itself
        return "policy", 0.85, False, False
    if (sig.has_allergens or sig.has_tags) and PROFILE_EDIT.search(whole) and not CART_WORDS.search(whole):
        return "profile_update", 0.85, False, False
    if re.search(r"체크아웃|checkout", text):
        return "checkout", 0.9, False, False
    if not re.search(r"[가-힣a-z0-9]", text):
        return "out_of_scope", 0.2, False, False
    if SQL_LIKE.search(text) and not re.search(r"[가-힣]", text):
        return "out_of_scope", 0.6, False, False
    if _CALLING.fullmatch(text):
        return "greeting", 0.85, False, False   # "저기요 도와주실 수 있나요", "저기요 도우미님": calling, nothing asked yet
    named = _ASSISTANT_NAME.sub(" ", text).strip()
    if _GREET_ONLY.fullmatch(named) and GREETING.search(named):
        return "greeting", 0.85, False, False   # "ㅎㅇㅎㅇ 오늘도 잘 부탁해 장보기봇": nothing asked yet
    if named != text and GREETING.search(named) and len(re.sub(r"[^가-힣a-z]", "", named)) <= 6:
        return "greeting", 0.9, False, False   # "하이 장보기~", "장보기야 안녕"
    if _RECIPE.search(text) and not _BUYING_WORDS.search(text) and not sig.has_reference and not re.match(r"(?:이|그|저)\s", text):
        return "out_of_scope", 0.8, False, False   # "김치찌개 맛있게 끓이는 법 알려줘": cooking, nothing to buy
    if situation(whole, sig):
        return "policy", 0.8, False, False
    product = sig.has_keywords or sig.has_reference or sig.has_tags or sig.has_brands
    request = bool(REQUEST.search(text))
    # "손주 줄 과자 사려고", "애 간식 뭐 줘야 할지": 주다 there is not "give me"
    give = sig.give_verb and not re.search(r"(?:뭐|뭘|어떤\s?거)\s?줘야|줄\s|사려|살려|줄까|줘도\s?(?:돼|되|괜찮)", text)
    if give and (CHECKOUT.search(text) and not sig.has_reference
                 or not sig.has_reference and _DESCRIBED_CHOICE.search(text)):
        give = False  # "결제 진행해 주세요"; "첨가물 없는 걸로 주세요" describes what to look for
    if give and sig.policy_topic and re.search(r"(?:얼마|몇)[^.?!]{0,12}(?:줘요|주나요|주시나요)\s?\??\s*$|(?:줘요|주나요|주시나요|줘|주세요|주는\s?(?:거|게))\s?(?:있어요|있나요)?\s?\?", text):
        give = False  # "리뷰 쓰면 적립금 얼마 줘요?" asks what the store gives
    if REORDER.search(text) and not (sig.policy_topic and "?" in text and POLICY_ASK.search(text)):
        return "reorder", 0.9, False, False
    if sig.policy_topic == "개인정보" and "장바구니" not in text:
        return "policy", 0.9, False, False
    if (sig.has_allergens and MEMORY.search(whole) and not CART_WORDS.search(whole)
            and not REQUEST.search(whole) and not sig.has_reference):
        return "profile_update", 0.85, False, False  # "앞으로 땅콩 든 건 빼주세요": from now on, always
    if ((sig.has_allergens or sig.has_avoid_brands or sig.has_tags) and MEMORY.search(whole) and NOT_SHOWN.search(whole)
            and not CART_WORDS.search(whole) and not sig.has_reference):
        # "앞으로 고기 들어간 건 추천하지 마세요", "장보기 베이직 제품은 앞으로 추천 안 해줬으면": from
        # now on, never shown; a standing preference of the shopper
        return "profile_update", 0.85, False, False
    if CART_REMOVE.search(text) and not ((sig.policy_topic in _AFTER_ORDER_TOPICS
                                          or sig.policy_topic and not (sig.has_keywords or sig.has_reference))
                                         and not re.search(r"장바구니|카트|담은|넣은|담았", text)):
        return "cart_remove", 0.9, False, False
    if (sig.policy_topic in (*_AFTER_ORDER_TOPICS, "선물") and _PLACED.search(text)
            and not re.search(r"장바구니|카트", text)):
        # "주문한 거에 두부 하나 더 추가할 수 있어요?", "선물 보냈는데 친구가 주소를 안 넣어요":
        # an order already placed or sent; what may be done with it is the store's rule
        return "policy", 0.8, False, False
    if sig.policy_topic and not (sig.has_keywords or sig.has_reference) and "장바구니" not in text:
        pass  # "리뷰쓰면 적립금 줘요?", "주문한거에 하나 더 추가하고 싶은데": a policy question below
    elif (sig.has_reference or sig.has_amounts) and re.search(r"\S\s?(?:장바구니|카트)(?:에|로)?\s?[.!~]*$", text):
        return "cart_add", 0.85, False, False   # "첫 번째 거 장바구니", "제일 싼 걸로 3개 장바구니"
    elif (CART_ADD.search(text) or give) and (product or sig.has_amounts or "장바구니" in text or "카트" in text):
        return "cart_add", 0.9, False, False
    elif CART_ADD.search(text) and not sig.policy_topic:
        return "cart_add", 0.8, False, False  # "담아줘" alone: the dialogue asks what to add
    if sig.policy_topic and _BEFORE_PAYING.search(text) and POLICY_ASK.search(text):
        return "policy", 0.85, False, False   # "결제하기 전에 쿠폰 두 장 쓸 수 있어요?": a rule, not paying now
    if CHECKOUT.search(text):
        if sig.policy_topic in _AFTER_ORDER_TOPICS:
            return "policy", 0.85, False, False
        named = [k for k in sig.keywords if not OFF_TOPIC.search(k) and k not in ("장난", "진행")]
        if (named or sig.has_reference) and not re.search(r"장바구니|카트|이대로|그대로|전부|다\s|나머지", text):
            return "cart_add", 0.8, False, False
        return "checkout", 0.9, False, False
    if CART_VIEW.search(text):
        return "cart_view", 0.9, False, False
    how_to = re.search(r"(?:주문|결제)하면|(?:시키|주문\s?넣으|넣으)면|어케|어떻게|어디서\s?(?:봐|확인|보)", text)
    if (ORDER_STATUS.search(text) and (not sig.policy_topic or sig.policy_topic == "배송" and not how_to)) \
            or (sig.order_id and not sig.policy_topic):
        if sig.policy_topic in _AFTER_ORDER_TOPICS:
            return "policy", 0.85, False, False
        return "order_status", 0.9, False, False
    attribute = bool(ATTRIBUTE.search(text))
    if sig.has_reference and attribute:
        return "product_question", 0.9, False, False
    if (sig.reference_kind == "index" and _YES_NO_END.search(text) and not REQUEST.search(text)
            and not STRONG_REQUEST.search(text)):
        return "product_question", 0.8, False, False   # "세 번째 청소기 무선 되나요": about a shown product
    if (sig.reference_kind in _POINTING_KINDS and not sig.has_keywords and not sig.has_brands
            and not (sig.has_tags or sig.has_budget or sig.has_allergens or sig.policy_topic)
            and (POINTER.search(text) or sig.reference_kind == "index" or not request)):
        # "그중에 제일 싼 거", "거기서 두 번째 거 보여줘": about a shown product, not a new search.
        # A bare "세 번째 거요" stays below 0.7 so it can answer a pending question instead.
        return "product_question", 0.8 if (request or POINTER.search(text)) else 0.65, False, False
    strong = bool(STRONG_REQUEST.search(text))
    pointed = bool(re.match(r"(?:이|그|저)\s(?!중|거|것|게|걸)[가-힣]{2,}|방금\s?(?:그|보여\s?준|본|추천한)", text))
    if (pointed and "?" in text and not strong and (attribute or DELIVERY_ASK.search(text) or _MAY_EAT.search(text))
            or sig.has_reference and "?" in text and not strong and DELIVERY_ASK.search(text)
            and sig.policy_topic in (None, "배송")):
        # "그 물티슈 새벽배송으로 받을 수 있어요?", "이 선크림 아기한테 발라도 돼요?", "제일 싼 거
        # 새벽배송 돼요?": about a shown product
        return "product_question", 0.8, False, False
    delivery_constraint = sig.policy_topic == "배송" and sig.has_urgency and sig.has_category
    if (sig.policy_topic and sig.has_category and not ASKS.search(text) and not POLICY_ASK.search(text)
            and _ends_on_product(whole, sig.keywords)):
        return "search", 0.75, False, False   # "키오스크에서 파는 우유": a product named, nothing asked
    if sig.policy_topic and not ((strong or delivery_constraint) and (sig.has_keywords or sig.has_tags)):
        return "policy", 0.9 if POLICY_ASK.search(text) else 0.75, False, False
    off_topic = [m.group() for m in OFF_TOPIC.finditer(text)]
    shopping = sig.has_category or (PRODUCT_CONTEXT.search(text) and not HARD_OFF_TOPIC.search(text))
    if off_topic and not (shopping or sig.has_tags or sig.has_budget or sig.has_allergens):
        return "out_of_scope", 0.8, False, False
    declares = bool(SELF.search(text) or DECLARE.search(text) or SELF.search(whole + " ") or DECLARE.search(whole))
    question = "?" in text or bool(re.search(r"(?:나요|가요|어요|까요|인가|돼요)\s?$", text))
    available = re.search(r"(?:있|없)(?:어|나|나요|어요|을까요|을까|니|는지|습니까)\s?[?]", text)   # "X 있어요?" is a search
    if question and attribute and not STRONG_REQUEST.search(text) and (pointed or sig.has_brands and not available):
        return "product_question", 0.8, False, False  # "이 기저귀 몇 kg까지 써요?", "비비고 왕교자에 새우 들어가요?"
    about_me = sig.has_tags or sig.has_allergens or sig.has_avoid_brands or bool(HOUSEHOLD.search(text))
    if (HOUSEHOLD.search(text) and re.search(r"위주(?:로|로요)?|앞으로|평소에", text)
            and set(sig.keywords) <= {"소포장", "1인분", "1인용", "혼밥", "자취", "위주"}):
        return "profile_update", 0.8, False, False
    confirms = bool(re.search(r"맞(?:죠|지요|나요|아요|습니까)\s?\?", text))  # "이 초콜릿 우유 안 들어간 거 맞죠?"
    if confirms and attribute and sig.has_keywords and not request:
        return "product_question", 0.75, False, False
    if (sig.has_keywords or sig.has_tags or sig.has_allergens) and not request and not _WH.search(whole) and (
            _MAY_EAT.search(whole) or (sig.has_keywords or sig.has_tags) and _IF_ALLERGIC.search(whole)
            and _YES_NO_END.search(text)):
        # "애가 우유 알레르기인데 치즈스틱 먹여도 되나요", "새우 알레르기면 게맛살도 안 되는
        # 거죠?": whether a kind of product suits the allergy, a question about it
        return "product_question", 0.75, False, False
    # "비건 과자 있어요", "세탁세제 리필용 있어요": a kind of product then 있어요 asks whether the
    # store has it (no question mark needed); "땅콩 알레르기 있어요", "저 비건이에요" declare
    stock_ask = (sig.has_keywords and not sig.has_allergens and not SELF.search(text) and not HOUSEHOLD.search(text)
                 and re.search(r"(?:용|로|으로|[가-힣a-z0-9])\s?(?:있어요|있나|있음|있을까요|있어)\s?[.~]*$", text))
    # "다이어트중인데 제로칼로리 음료 있어요": the kind of product itself, then 있어요, asks the store
    stock_ask = stock_ask or (not sig.has_allergens and any(
        re.search(r"\s?".join(map(re.escape, k)) + r"\s?(?:도|는|은)?\s?(?:있어요|있나요|있을까요)\s?[.~?]*$", text)
        for k in sig.keywords if k not in _PERSON_WORDS))
    # "강아지 treat 닭고기 빼고 ㅋㅋ 우리 애 닭 알러지 있음": a kind of product asked for without
    # something, whatever is said about the household after it
    product_without = bool(re.search(r"빼고|말고|없는\s?(?:거|걸|것)|안\s?들어간\s?(?:거|걸|것)", whole)) and any(
        k not in _PERSON_WORDS for k in sig.keywords)
    if (not request and declares and about_me and not (attribute and not SELF.search(text)) and not stock_ask
            and not _ends_on_product(whole, sig.keywords) and not _CHOICE.search(whole) and not product_without):
        return "profile_update", 0.85, False, False
    if MEMORY.search(text) and (sig.has_tags or sig.has_allergens or sig.has_avoid_brands):
        return "profile_update", 0.8, False, False
    asks_about_product = COMPARE.search(text) or attribute and (sig.has_keywords or sig.has_brands)
    price_of_a_kind = (re.search(r"얼마", text) and not sig.has_brands and not pointed
                       and (sig.has_tags or re.search(r"제일|가장|젤|\d+\s?(?:l|ml|kg|g)\b", text)))
    if price_of_a_kind and sig.has_keywords and not COMPARE.search(text):
        return "search", 0.8, False, False  # "딸기 국산 한 팩 얼마예요": the prices of a kind of product
    # "아기 이유식 소고기 들어간 거": a product described, then 거 with no question, is what to find
    described_want = (sig.has_keywords and "?" not in text and not pointed and not sig.has_reference
                      and (re.search(r"(?:들어간|든|들어있는|있는|넣은|된)\s?(?:거|걸로|것|걸)\s?(?:요|으로요|로요)?\s?$", text)
                           # "소고기 들어간 단백질 간식": the product itself closes the message, nothing asked
                           or re.search(r"(?:들어간|든|들어있는|넣은)\s[가-힣]+(?:\s[가-힣]+)?\s?[.!~]*$", text)
                           and not ASKS.search(text) and _ends_on_product(whole, sig.keywords)))
    if not request and not sig.has_allergens and asks_about_product and not described_want:
        return "product_question", 0.75, False, False
    if request or sig.has_budget or sig.has_tags or sig.has_allergens or sig.has_avoid_brands \
            or (sig.has_urgency and sig.has_keywords):
        return "search", 0.9 if (request or sig.has_budget) else 0.75, False, False
    if GREETING.search(text):
        return "greeting", 0.9, False, False
    if sig.has_reference and "?" in text:
        return "product_question", 0.6, False, False
    if sig.has_keywords or sig.has_brands:
        return "search", 0.6, False, False
    return "out_of_scope", 0.3, False, False
