"""Chinese word lists behind :func:`coldrec.analysis._wordswap_zh.swap_words_zh`: gender rows, age words, places.

Pure data. Chinese has no spaces between words, so matching is by longest substring: every surface form below and
every ``PROTECTED`` word is one alternative of a single regex, longest first, scanned left to right. A protected
word (吉他 "guitar", 其他 "other", 阳台 "balcony" …) is consumed whole and left unchanged, so the 他 of 吉他 or the
台中 of 舞台中央 is never swapped. Simplified and a few common traditional forms are listed.
"""

from __future__ import annotations

# ---------------------------------------------------------------- gender
# (male, female, neutral); the first row that names a surface wins. 他们/他們 are the generic plural in Chinese
# (mixed or unknown groups), so they are not gendered words: they are PROTECTED, and only 她们/她們 (an all-female
# group) is swapped, to 他们 both when flipped and when neutral.
GENDER_ROWS_ZH: list[tuple[str, str, str]] = [
    ("他", "她", "ta"),
    ("他们", "她们", "他们"),
    ("他們", "她們", "他們"),
    ("男朋友", "女朋友", "对象"),
    ("男友", "女友", "对象"),
    ("男士", "女士", "人士"),
    ("先生", "女士", "朋友"),
    ("男生", "女生", "学生"),
    ("男孩", "女孩", "孩子"),
    ("男孩子", "女孩子", "孩子"),
    ("男人", "女人", "人"),
    ("男性", "女性", "人"),
    ("男", "女", "非二元性别"),
    ("儿子", "女儿", "孩子"),
    ("兒子", "女兒", "孩子"),
    ("爸爸", "妈妈", "家长"),
    ("爸爸", "媽媽", "家長"),
    ("父亲", "母亲", "家长"),
    ("丈夫", "妻子", "伴侣"),
    ("老公", "老婆", "另一半"),
    ("爷爷", "奶奶", "长辈"),
    ("外公", "外婆", "长辈"),
    ("爺爺", "奶奶", "長輩"),
    ("哥哥", "姐姐", "兄姐"),
    ("弟弟", "妹妹", "弟妹"),
    ("兄弟", "姐妹", "兄弟姐妹"),
    ("叔叔", "阿姨", "长辈"),
    ("孙子", "孙女", "孙辈"),
    ("侄子", "侄女", "晚辈"),
    ("新郎", "新娘", "新人"),
    ("男装", "女装", "服装"),
]
GENDER_PROTECTED = [
    "他们", "他們", "吉他", "其他", "他人", "他乡", "他国", "利他", "排他", "他日", "他山", "他者", "无他", "其它",
    "男女", "子女", "妇女", "女排", "女足",
]

# ---------------------------------------------------------------- age
# word: (young, middle, old)
AGE_WORDS_ZH: dict[str, tuple[str, str, str]] = {
    "年轻人": ("年轻人", "中年人", "老年人"),
    "中年人": ("年轻人", "中年人", "老年人"),
    "老年人": ("年轻人", "中年人", "老年人"),
    "年轻": ("年轻", "中年", "年迈"),
    "年迈": ("年轻", "中年", "年迈"),
    "中年": ("青年", "中年", "老年"),
    "青年": ("青年", "中年", "老年"),
    "老年": ("青年", "中年", "老年"),
    "大学生": ("大学生", "上班族", "退休老人"),
    "上班族": ("大学生", "上班族", "退休老人"),
    "退休老人": ("大学生", "上班族", "退休老人"),
    "退休人员": ("学生", "在职人员", "退休人员"),
    "孙子孙女": ("朋友们", "孩子们", "孙子孙女"),
    "十几岁": ("二十出头", "四十多岁", "七十多岁"),
    "十八九岁": ("二十出头", "四十多岁", "七十多岁"),
}
# 退休 as an adjective before a noun ("退休老师") and as a verb ("刚退休", "退休了")
RETIRED_ADJ = ("实习", "在职", "退休")
RETIRED_VERB = ("毕业", "工作", "退休")
AGE_NUMBER_ZH = {"young": 22, "middle": 45, "old": 70}
AGE_TENS_ZH = {"young": "二十", "middle": "四十", "old": "七十"}  # 三十多岁 → 二十多岁 / 四十多岁 / 七十多岁
AGE_GENERATION_ZH = {"young": "00", "middle": "80", "old": "60"}  # 90后 → 00后 / 80后 / 60后
AGE_PROTECTED = ["年轻化"]

# ---------------------------------------------------------------- locale
LOCALE_LABELS_ZH = ("zh-CN", "zh-TW", "zh-HK", "zh-SG")
# label: written forms of a city, a region and a demonym
LOCALES_ZH: dict[str, dict[str, str]] = {
    "zh-CN": {"city": "北京", "region": "中国大陆", "demonym": "北京人"},
    "zh-TW": {"city": "台北", "region": "台湾", "demonym": "台湾人"},
    "zh-HK": {"city": "香港", "region": "香港", "demonym": "香港人"},
    "zh-SG": {"city": "新加坡", "region": "新加坡", "demonym": "新加坡人"},
}
LOCALE_SOURCES_ZH: dict[str, tuple[str, str]] = {}  # surface -> (label, slot)
for _loc, _words in {
    "zh-CN": ["北京", "上海", "广州", "廣州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆", "天津", "苏州",
              "长沙", "青岛", "昆明", "厦门", "沈阳", "哈尔滨", "郑州"],
    "zh-TW": ["台北", "臺北", "台中", "臺中", "高雄", "台南", "臺南", "新竹"],
    "zh-HK": ["香港", "九龙", "九龍", "新界", "旺角", "铜锣湾", "銅鑼灣"],
    "zh-SG": ["新加坡", "狮城", "獅城"],
}.items():
    for _w in _words:
        LOCALE_SOURCES_ZH[_w] = (_loc, "city")
for _loc, _words in {
    "zh-CN": ["中国大陆", "大陆", "內地", "内地", "广东", "四川", "浙江", "福建", "东北", "江苏", "湖南"],
    "zh-TW": ["台湾", "台灣", "臺灣", "宝岛"],
    "zh-HK": ["港岛", "港島"],
    "zh-SG": ["南洋"],
}.items():
    for _w in _words:
        LOCALE_SOURCES_ZH[_w] = (_loc, "region")
for _loc, _words in {
    "zh-CN": ["北京人", "上海人", "广州人", "广东人", "四川人", "东北人", "大陆人", "内地人"],
    "zh-TW": ["台湾人", "台灣人", "臺灣人", "台北人"],
    "zh-HK": ["香港人", "港人"],
    "zh-SG": ["新加坡人"],
}.items():
    for _w in _words:
        LOCALE_SOURCES_ZH[_w] = (_loc, "demonym")
# words that contain a place name but are not one: 舞台中央 is not 台中, 阳台 not 台
LOCALE_PROTECTED = [
    "舞台", "平台", "电台", "阳台", "后台", "前台", "讲台", "站台", "柜台", "看台", "吧台", "灶台", "窗台",
    "东北风", "大陆架",
]

CLAUSES_ZH: dict[str, dict[str, str]] = {
    "gender": {"female": "我是女生。", "male": "我是男生。", "neutral": "我是非二元性别者。"},
    "age": {"young": "我今年22岁。", "middle": "我今年45岁。", "old": "我今年70岁。"},
    "locale": {lab: f"我住在{loc['city']}。" for lab, loc in LOCALES_ZH.items()},
}
