"""Word lists for realistic demo data: people, companies, titles, industries, cities.

Everything here is plain data plus a few generators driven by a ``random.Random`` that the caller
seeds, so a given seed always produces the same leads.
"""

import random
from dataclasses import dataclass

# --- people ------------------------------------------------------------------------------------

# (hanzi, pinyin), roughly by frequency in China.
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"),
    ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"),
    ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"),
    ("陆", "lu"), ("范", "fan"), ("汪", "wang"), ("廖", "liao"), ("石", "shi"), ("金", "jin"), ("贾", "jia"),
    ("夏", "xia"), ("付", "fu"), ("方", "fang"), ("邹", "zou"), ("熊", "xiong"), ("白", "bai"), ("孟", "meng"),
    ("秦", "qin"), ("邱", "qiu"), ("侯", "hou"), ("江", "jiang"), ("尹", "yin"), ("薛", "xue"), ("欧阳", "ouyang"),
]  # fmt: skip
SURNAME_WEIGHTS = [max(1.0, 12 - i * 0.25) for i in range(len(SURNAMES))]

# Common given names, (hanzi, pinyin).
GIVEN_NAMES = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"), ("强", "qiang"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("丹", "dan"), ("鹏", "peng"), ("颖", "ying"),
    ("秀英", "xiuying"), ("桂英", "guiying"), ("秀兰", "xiulan"), ("建华", "jianhua"), ("志强", "zhiqiang"),
    ("建国", "jianguo"), ("海涛", "haitao"), ("晓东", "xiaodong"), ("晓明", "xiaoming"), ("晓燕", "xiaoyan"),
    ("俊杰", "junjie"), ("志伟", "zhiwei"), ("永强", "yongqiang"), ("振华", "zhenhua"), ("立新", "lixin"),
    ("文博", "wenbo"), ("浩然", "haoran"), ("子涵", "zihan"), ("梓轩", "zixuan"), ("欣怡", "xinyi"),
    ("思远", "siyuan"), ("雨萱", "yuxuan"), ("佳怡", "jiayi"), ("雪梅", "xuemei"), ("丽娟", "lijuan"),
    ("婷婷", "tingting"), ("晨曦", "chenxi"), ("一鸣", "yiming"), ("嘉怡", "jiayi"), ("博文", "bowen"),
    ("宇航", "yuhang"), ("天宇", "tianyu"), ("鹏飞", "pengfei"), ("春梅", "chunmei"), ("红梅", "hongmei"),
    ("玉兰", "yulan"), ("亚楠", "yanan"), ("丹丹", "dandan"), ("倩倩", "qianqian"), ("晶晶", "jingjing"),
    ("慧敏", "huimin"), ("家豪", "jiahao"), ("子豪", "zihao"), ("若曦", "ruoxi"), ("诗涵", "shihan"),
    ("雅琪", "yaqi"), ("梦琪", "mengqi"), ("思琪", "siqi"), ("建军", "jianjun"), ("国华", "guohua"),
    ("海燕", "haiyan"), ("小红", "xiaohong"), ("文静", "wenjing"), ("俊宇", "junyu"), ("浩宇", "haoyu"),
    ("明轩", "mingxuan"), ("凯", "kai"), ("斌", "bin"), ("亮", "liang"), ("欣", "xin"), ("琳", "lin"),
    ("慧", "hui"), ("宁", "ning"), ("健", "jian"), ("帆", "fan"), ("毅", "yi"), ("骁", "xiao"), ("璐", "lu"),
]  # fmt: skip

ENGLISH_FIRST = [
    "James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Laura", "Thomas", "Anna", "Kevin",
    "Grace", "Peter", "Sophie", "Mark", "Olivia", "Lucas", "Hannah", "Ryan", "Chloe", "Eric", "Rachel", "Jason",
    "Megan", "Andrew", "Julia", "Stefan", "Nina", "Marco", "Elena", "Kenji", "Yuki", "Arjun", "Priya",
]  # fmt: skip
ENGLISH_LAST = [
    "Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Lee",
    "Clark", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Müller",
    "Schmidt", "Fischer", "Weber", "Rossi", "Dubois", "Laurent", "Tanaka", "Sato", "Kim", "Park", "Sharma",
]  # fmt: skip


@dataclass(frozen=True)
class Person:
    name: str
    local_part: str  # for an e-mail address


def chinese_person(rng: random.Random) -> Person:
    surname, s_py = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    given, g_py = rng.choice(GIVEN_NAMES)
    style = rng.random()
    if style < 0.45:
        local = f"{s_py}{g_py}"
    elif style < 0.75:
        local = f"{s_py}.{g_py}"
    elif style < 0.9:
        local = f"{g_py}.{s_py}"
    else:
        local = f"{s_py}{g_py}{rng.randint(1, 99)}"
    return Person(surname + given, local)


def english_person(rng: random.Random) -> Person:
    first, last = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
    ascii_last = last.replace("ü", "ue").lower()
    local = rng.choice((f"{first.lower()}.{ascii_last}", f"{first[0].lower()}{ascii_last}", first.lower()))
    return Person(f"{first} {last}", local)


# --- the company's own staff (fixed, so the printed logins never change) -------------------------

# username, display name
STAFF = {
    "vp": [("liuyang", "刘洋 Liu Yang")],
    "directors": {
        "East": ("chenjing", "陈静 Chen Jing"),
        "North": ("zhaolei", "赵磊 Zhao Lei"),
        "South": ("huangmin", "黄敏 Huang Min"),
        "West": ("zhoutao", "周涛 Zhou Tao"),
    },
    "aes": {
        "East": [("wangwei", "王伟 Wang Wei"), ("lina", "李娜 Li Na"), ("xuhao", "徐浩 Xu Hao"),
                 ("sunli", "孙丽 Sun Li"), ("michael.zhu", "Michael Zhu 朱明")],
        "North": [("zhangqiang", "张强 Zhang Qiang"), ("liufang", "刘芳 Liu Fang"), ("gaojie", "高杰 Gao Jie"),
                  ("guoying", "郭颖 Guo Ying"), ("kevin.ma", "Kevin Ma 马凯")],
        "South": [("lintao", "林涛 Lin Tao"), ("luoxin", "罗欣 Luo Xin"), ("liangchao", "梁超 Liang Chao"),
                  ("xieting", "谢婷 Xie Ting"), ("grace.he", "Grace He 何佳")],
        "West": [("tangyu", "唐宇 Tang Yu"), ("hanxue", "韩雪 Han Xue"), ("dengpeng", "邓鹏 Deng Peng"),
                 ("caoyan", "曹艳 Cao Yan"), ("eric.peng", "Eric Peng 彭毅")],
    },
    "sdr_director": [("yangfan", "杨帆 Yang Fan")],
    "sdr_inbound": [("wuxin", "吴欣 Wu Xin"), ("zhengyi", "郑怡 Zheng Yi"), ("songjia", "宋佳 Song Jia"),
                    ("fengbo", "冯博 Feng Bo"), ("emily.xu", "Emily Xu 许思")],
    "sdr_outbound": [("xiaoming", "肖明 Xiao Ming"), ("tianhui", "田慧 Tian Hui"), ("jason.dong", "Jason Dong 董俊")],
    "bdr": [("yuanhai", "袁海 Yuan Hai"), ("panqi", "潘琪 Pan Qi")],
    "am": [("jiangling", "蒋玲 Jiang Ling"), ("caibin", "蔡斌 Cai Bin"), ("yeqian", "叶倩 Ye Qian"),
           ("sophie.su", "Sophie Su 苏琳")],
    "marketing": [("weiyun", "魏云 Wei Yun"), ("anna.lu", "Anna Lu 陆晓")],
    "ops": [("admin", "丁敏 Ding Min (Sales Ops)")],
}  # fmt: skip

# --- geography -------------------------------------------------------------------------------

REGIONS = ("East", "North", "South", "West")
REGION_ZH = {"East": "华东", "North": "华北", "South": "华南", "West": "西部"}

# (chinese, english, region, weight). Central China (华中) is outside the four AE regions on purpose:
# those leads fall back to the company-wide AE pool.
CITIES = [
    ("上海", "Shanghai", "East", 16), ("杭州", "Hangzhou", "East", 7), ("南京", "Nanjing", "East", 5),
    ("苏州", "Suzhou", "East", 5), ("宁波", "Ningbo", "East", 2), ("合肥", "Hefei", "East", 2),
    ("济南", "Jinan", "East", 2), ("青岛", "Qingdao", "East", 2), ("厦门", "Xiamen", "East", 2),
    ("福州", "Fuzhou", "East", 1), ("无锡", "Wuxi", "East", 2),
    ("北京", "Beijing", "North", 16), ("天津", "Tianjin", "North", 3), ("石家庄", "Shijiazhuang", "North", 1),
    ("太原", "Taiyuan", "North", 1), ("沈阳", "Shenyang", "North", 2), ("大连", "Dalian", "North", 2),
    ("哈尔滨", "Harbin", "North", 1), ("长春", "Changchun", "North", 1),
    ("深圳", "Shenzhen", "South", 12), ("广州", "Guangzhou", "South", 9), ("东莞", "Dongguan", "South", 3),
    ("佛山", "Foshan", "South", 2), ("珠海", "Zhuhai", "South", 1), ("南宁", "Nanning", "South", 1),
    ("海口", "Haikou", "South", 1),
    ("成都", "Chengdu", "West", 7), ("重庆", "Chongqing", "West", 5), ("西安", "Xi'an", "West", 4),
    ("昆明", "Kunming", "West", 1), ("贵阳", "Guiyang", "West", 1), ("兰州", "Lanzhou", "West", 1),
    ("武汉", "Wuhan", "", 3), ("长沙", "Changsha", "", 2), ("郑州", "Zhengzhou", "", 2),
]  # fmt: skip

# --- companies -------------------------------------------------------------------------------

# (display, scoring-friendly key used in the lead's industry field, weight, typical deal multiplier)
INDUSTRIES = [
    ("Software", 16, 1.0), ("Internet", 12, 1.0), ("Manufacturing", 16, 1.3), ("Finance", 9, 1.6),
    ("Healthcare", 7, 1.2), ("Education", 8, 0.7), ("Retail", 8, 0.8), ("Logistics", 5, 0.9),
    ("Automotive", 5, 1.4), ("Energy", 3, 1.5), ("Media", 4, 0.6), ("Professional services", 5, 0.8),
    ("Real estate", 2, 0.9),
]  # fmt: skip

# Brand syllables for Chinese companies: (hanzi, pinyin).
BRANDS = [
    ("华信", "huaxin"), ("博远", "boyuan"), ("云启", "yunqi"), ("中科", "zhongke"), ("智联", "zhilian"),
    ("数创", "shuchuang"), ("恒达", "hengda"), ("瑞丰", "ruifeng"), ("鼎盛", "dingsheng"), ("海纳", "haina"),
    ("天成", "tiancheng"), ("金桥", "jinqiao"), ("新元", "xinyuan"), ("东方", "dongfang"), ("卓越", "zhuoyue"),
    ("汇通", "huitong"), ("融创", "rongchuang"), ("长风", "changfeng"), ("星辰", "xingchen"), ("蓝海", "lanhai"),
    ("明德", "mingde"), ("远景", "yuanjing"), ("锐思", "ruisi"), ("宏图", "hongtu"), ("中泰", "zhongtai"),
    ("安信", "anxin"), ("百川", "baichuan"), ("青云", "qingyun"), ("鑫源", "xinyuan"), ("凯越", "kaiyue"),
    ("联合", "lianhe"), ("易达", "yida"), ("腾飞", "tengfei"), ("华创", "huachuang"), ("聚力", "juli"),
    ("光合", "guanghe"), ("千帆", "qianfan"), ("致远", "zhiyuan"), ("启明", "qiming"), ("同创", "tongchuang"),
    ("万象", "wanxiang"), ("正泰", "zhengtai"), ("九州", "jiuzhou"), ("银河", "yinhe"), ("宇辰", "yuchen"),
    ("思源", "siyuan"), ("佳禾", "jiahe"), ("嘉和", "jiahe"), ("泰和", "taihe"), ("盛世", "shengshi"),
]  # fmt: skip

CN_INDUSTRY_WORDS = {
    "Software": [("软件", "soft"), ("信息技术", "it"), ("数据科技", "data")],
    "Internet": [("网络科技", "net"), ("互联网科技", "tech"), ("数字科技", "digital")],
    "Manufacturing": [("智能制造", "mfg"), ("精密机械", "machinery"), ("电子", "electronics"), ("新材料", "materials")],
    "Finance": [("金融服务", "finance"), ("资本", "capital"), ("保险经纪", "insurance")],
    "Healthcare": [("医疗科技", "medical"), ("生物医药", "bio"), ("健康管理", "health")],
    "Education": [("教育科技", "edu"), ("职业培训", "training")],
    "Retail": [("商贸", "trade"), ("零售", "retail"), ("电子商务", "ecommerce")],
    "Logistics": [("物流", "logistics"), ("供应链管理", "supplychain")],
    "Automotive": [("汽车零部件", "auto"), ("新能源汽车", "ev")],
    "Energy": [("新能源", "energy"), ("电力设备", "power")],
    "Media": [("文化传媒", "media"), ("广告", "ad")],
    "Professional services": [("企业管理咨询", "consulting"), ("人力资源", "hr")],
    "Real estate": [("置业", "property"), ("物业服务", "estate")],
}  # fmt: skip
CN_SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"]
CN_TLDS = [".com", ".com", ".cn", ".com.cn", ".net"]

EN_PREFIXES = [
    "Northwind", "Bluepeak", "Brightline", "Silverlake", "Redwood", "Ironbridge", "Clearwater", "Summit",
    "Evergreen", "Lumen", "Vertex", "Horizon", "Nova", "Atlas", "Pioneer", "Crescent", "Harbor", "Granite",
    "Sterling", "Orion", "Cobalt", "Meridian", "Keystone", "Apex", "Falcon", "Quantum", "Polaris", "Zenith",
]  # fmt: skip
EN_WORDS = {
    "Software": ["Software", "Systems", "Analytics"],
    "Internet": ["Digital", "Labs", "Online"],
    "Manufacturing": ["Industries", "Precision", "Components"],
    "Finance": ["Capital", "Financial", "Partners"],
    "Healthcare": ["Health", "Medical", "Biotech"],
    "Education": ["Learning", "Education"],
    "Retail": ["Retail", "Brands", "Commerce"],
    "Logistics": ["Logistics", "Freight"],
    "Automotive": ["Automotive", "Mobility"],
    "Energy": ["Energy", "Power"],
    "Media": ["Media", "Creative"],
    "Professional services": ["Consulting", "Advisory"],
    "Real estate": ["Properties", "Realty"],
}  # fmt: skip
EN_SUFFIXES = ["Ltd.", "Inc.", "Co., Ltd.", "GmbH", "Pte. Ltd.", "LLC", "(China) Co., Ltd."]

FREE_MAIL = ["qq.com", "163.com", "126.com", "foxmail.com", "gmail.com", "outlook.com", "sina.com"]

# (title, weight). Senior titles score as decision makers, managers as such (see scoring defaults).
CN_TITLES = [
    ("总经理", 4), ("CEO", 3), ("CTO", 3), ("技术总监", 5), ("IT总监", 5), ("市场总监", 5), ("销售总监", 4),
    ("运营总监", 3), ("副总裁", 2), ("创始人", 2), ("采购经理", 5), ("IT经理", 7), ("市场经理", 7),
    ("产品经理", 6), ("项目经理", 6), ("运营经理", 4), ("销售主管", 3), ("数字化负责人", 2), ("工程师", 9),
    ("高级工程师", 5), ("架构师", 3), ("数据分析师", 4), ("市场专员", 6), ("运营专员", 4), ("采购专员", 3),
    ("行政助理", 3), ("学生", 1),
]  # fmt: skip
EN_TITLES = [
    ("CEO", 3), ("CTO", 3), ("CIO", 2), ("VP of Sales", 2), ("VP Engineering", 2), ("Head of IT", 4),
    ("Marketing Director", 4), ("IT Director", 4), ("Operations Director", 2), ("Procurement Manager", 4),
    ("IT Manager", 6), ("Marketing Manager", 6), ("Product Manager", 5), ("Project Manager", 4),
    ("Software Engineer", 7), ("Data Analyst", 4), ("Marketing Specialist", 5), ("Office Manager", 2),
    ("Consultant", 3),
]  # fmt: skip

SIZES = [(8, 10), (30, 16), (80, 20), (150, 16), (350, 14), (800, 10), (2000, 7), (8000, 5), (25000, 2)]

MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189",
    "191", "198", "199",
]  # fmt: skip


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    industry: str
    city: str
    region: str
    size: int
    english: bool
    deal_factor: float


def make_company(
    rng: random.Random, used_domains: set[str], *, industry: str = "", region: str = ""
) -> Company:
    """A company; ``industry`` and ``region`` pin those (an outbound list targets a segment)."""
    industries = [i for i in INDUSTRIES if not industry or i[0] == industry]
    industry, _, factor = rng.choices(industries, weights=[w for _, w, _ in industries])[0]
    cities = [c for c in CITIES if not region or c[2] == region]
    city_zh, city_en, region, _ = rng.choices(cities, weights=[c[3] for c in cities])[0]
    base = rng.choices(SIZES, weights=[w for _, w in SIZES])[0][0]
    size = max(3, int(base * rng.uniform(0.6, 1.6)))
    english = rng.random() < 0.2
    if english:
        prefix = rng.choice(EN_PREFIXES)
        word = rng.choice(EN_WORDS[industry])
        name = f"{prefix} {word} {rng.choice(EN_SUFFIXES)}"
        stem = f"{prefix}{word}".lower()
        tld = rng.choice([".com", ".com", ".cn", ".io"])
        city = city_en
    else:
        brand, b_py = rng.choice(BRANDS)
        word, w_py = rng.choice(CN_INDUSTRY_WORDS[industry])
        name = f"{city_zh}{brand}{word}{rng.choice(CN_SUFFIXES)}"
        stem = rng.choice((b_py, f"{b_py}{w_py}", f"{b_py}-{w_py}"))
        tld = rng.choice(CN_TLDS)
        city = city_zh
    domain = stem + tld
    n = 2
    while domain in used_domains:
        domain = f"{stem}{n}{tld}"
        n += 1
    used_domains.add(domain)
    return Company(name, domain, industry, city, region, size, english, factor)


def mobile(rng: random.Random) -> str:
    return f"+86 {rng.choice(MOBILE_PREFIXES)} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}"


def title(rng: random.Random, english: bool) -> str:
    table = EN_TITLES if english else CN_TITLES
    return rng.choices(table, weights=[w for _, w in table])[0][0]


# --- reasons ---------------------------------------------------------------------------------

DISQUALIFY_REASONS = [
    ("Student or job seeker / 学生或求职者", 3), ("Fake or spam data / 虚假信息", 2),
    ("Company too small / 规模太小", 4), ("Competitor / 竞争对手", 1), ("Unreachable after several attempts / 多次无法联系", 5),
    ("No project, just researching / 仅做调研，无项目", 4), ("Duplicate of an existing lead / 重复线索", 2),
]  # fmt: skip
NURTURE_REASONS = [
    ("Not ready yet, keep warm / 暂无需求，持续培育", 5), ("No budget this year / 今年无预算", 3),
    ("Asked to be contacted next quarter / 下季度再联系", 3), ("Early research stage / 处于调研阶段", 4),
]  # fmt: skip
LOST_REASONS = [
    ("Price too high / 价格太高", 5), ("Chose a competitor / 选择了竞争对手", 5),
    ("Project shelved / 项目搁置", 4), ("Budget cut / 预算削减", 3), ("Missing features / 功能不满足", 2),
    ("Went dark / 客户失联", 3), ("Built in-house / 决定自研", 1),
]  # fmt: skip
REJECT_REASONS = [
    # code, weight, nurture-until probability
    ("not_decision_maker", 6, 0.3), ("no_budget", 5, 0.6), ("bad_timing", 5, 0.9), ("no_need", 4, 0.2),
    ("wrong_territory", 1, 0.0), ("existing_customer", 1, 0.0), ("bad_data", 2, 0.0), ("competitor", 1, 0.0),
    ("other", 1, 0.3),
]  # fmt: skip
REJECT_NOTES = {
    "not_decision_maker": ["对接人只是执行层，需要找到IT负责人", "Contact is an engineer; decision sits with the CIO"],
    "no_budget": ["预算要等明年Q1审批", "Budget only after next fiscal year planning"],
    "bad_timing": ["客户说半年后再启动项目", "Project kick-off postponed to next half year"],
    "no_need": ["现有系统够用，暂无替换计划", "Happy with current tool"],
    "wrong_territory": ["总部在其他大区，转交对应区域", "HQ belongs to another region"],
    "existing_customer": ["该公司已有进行中的商机", "Open deal already exists for this account"],
    "bad_data": ["电话空号，邮箱退信", "Phone number invalid, e-mail bounced"],
    "competitor": ["对方是同行，来了解产品", "They are a competitor doing research"],
    "other": ["详见通话记录", "See call notes"],
}  # fmt: skip

HANDOFF_NOTES = [
    "客户有明确的线索管理需求，预算已批，希望本月看演示。",
    "IT总监亲自参与，计划下季度上线，已约好产品演示。",
    "参加了加速营直播，主动咨询报价，决策链清晰。",
    "Evaluating two vendors; wants a demo with their sales ops lead this week.",
    "Budget approved for H2; pain: slow speed-to-lead across 3 regions.",
    "试用期间活跃度高，希望与销售讨论正式采购流程。",
    "现有CRM续约在即，考虑替换，决策人为CEO。",
    "Replied to sequence step 3, asked for pricing for 40 seats.",
]  # fmt: skip

BANT_NOTES = {
    "budget": ["预算约30-50万，已在年度计划中", "Budget approved in annual plan", "需要走采购流程，预算待确认"],
    "authority": ["对接人为决策人", "Talking to the CIO directly", "决策人为总经理，对接人可影响决策"],
    "need": ["线索分配混乱，响应慢", "Needs SLA tracking between SDR and AE", "希望统一管理多渠道线索"],
    "timing": ["计划本季度内上线", "Go-live targeted next quarter", "三个月内做决定"],
}  # fmt: skip

CALL_NOTES = [
    "首次电话沟通，了解现状", "Intro call, explained the product", "客户在开会，约了明天再聊", "Left a voicemail",
    "介绍了案例，客户感兴趣", "Asked for a case study in their industry", "确认了需求和时间表", "",
]  # fmt: skip

WEBINARS = [
    "SDR 高效获客实战直播", "线索评分与分配最佳实践", "B2B 销售漏斗加速营", "Speed-to-lead masterclass",
    "从 MQL 到 SQL：销售与市场协同", "ABM 目标客户营销训练营", "Predictive scoring live demo",
]  # fmt: skip
EVENTS = {
    "event_summit": ["2026 B2B 增长峰会", "Baton Revenue Summit"],
    "event_salon": ["销售运营沙龙·上海站", "销售运营沙龙·北京站", "SDR 管理者沙龙·深圳站", "成都站·增长沙龙"],
    "event_cohosted": ["与合作伙伴联合举办：数字化转型论坛", "Co-hosted: CRM modernisation day"],
    "event_sponsored": ["中国 SaaS 大会（赞助）", "Sponsored: China Marketing Tech Expo"],
}  # fmt: skip
CONTENT = {
    "content_whitepaper": ["2021 SDR 策略白皮书", "B2B 线索管理白皮书", "The state of sales development"],
    "content_case_study": ["制造业客户案例：线索转化率提升 3 倍", "Case study: halving speed to lead"],
    "content_survey": ["销售开发团队现状调研", "SDR compensation survey"],
    "content_video": ["短视频：5 分钟响应的价值", "短视频：SDR 的一天"],
}  # fmt: skip
