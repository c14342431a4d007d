"""Qualification frameworks and the handoff gate (spec §4.3).

A framework is a template: a key, a name and criteria. A lead answers each criterion met, not met or
unknown. A gate is a list of rules, all of which must pass; a rule asks for "at least N criteria met" or
"more than a fraction of them met" in one framework. Everything here is data and arithmetic: the
templates come from the database (the built-ins below are seeded by a data migration) and the answers
from the lead.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
CRITERION_STATES = (MET, NOT_MET, UNKNOWN)

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    label_zh: str = ""
    description: str = ""
    description_zh: str = ""


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    criteria: tuple[Criterion, ...]
    name_zh: str = ""
    description: str = ""
    description_zh: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.criteria)

    def label(self, key: str) -> str:
        for c in self.criteria:
            if c.key == key:
                return c.label
        return key


def _c(key: str, label: str, label_zh: str, description: str, description_zh: str) -> Criterion:
    return Criterion(key, label, label_zh, description, description_zh)


BANT = Framework(
    "bant",
    "BANT",
    (
        _c("budget", "Budget", "预算", "Is there a budget for this purchase?", "这次采购有预算吗？"),
        _c("authority", "Authority", "决策权", "Does the contact decide, or know who does?",
           "联系人是决策人，或知道谁是决策人吗？"),
        _c("need", "Need", "需求", "Is there a real problem we solve?", "是否有我们能解决的真实问题？"),
        _c("timing", "Timing", "时间", "Will they buy within the planning horizon?", "会在规划期内购买吗？"),
    ),
    name_zh="BANT",
    description="Budget, authority, need, timing.",
    description_zh="预算、决策权、需求、时间。",
)  # fmt: skip

CHAMP = Framework(
    "champ",
    "CHAMP",
    (
        _c("challenges", "Challenges", "挑战", "What business challenge or pain does the prospect face?",
           "潜在客户面临的具体业务挑战或痛点是什么？"),
        _c("authority", "Authority", "决策权", "Can the prospect make the buying decision?",
           "潜在客户是否有权作出购买决策？"),
        _c("money", "Money", "资金", "Is there enough budget?", "是否有足够的预算？"),
        _c("prioritization", "Prioritization", "优先级", "Is solving this their top priority now?",
           "这是潜在客户目前需要解决的头等大事吗？"),
    ),
    name_zh="CHAMP",
    description="Challenges first, then authority, money and prioritization.",
    description_zh="先问挑战，再看决策权、资金和优先级。",
)  # fmt: skip

MEDDIC = Framework(
    "meddic",
    "MEDDIC",
    (
        _c("metrics", "Metrics", "指标", "Which KPI do they want to improve, and what is the expected return?",
           "关键的绩效指标是什么？潜在客户的投资回报率是多少？"),
        _c("economic_buyer", "Economic buyer", "财务型买家",
           "Who decides whether to spend the budget on our product?",
           "对方组织中，谁决定是否投入预算购买我们的产品或服务？"),
        _c("decision_criteria", "Decision criteria", "决策标准",
           "What are the technical and financial criteria of the purchase?", "购买的具体技术标准、财务标准是什么？"),
        _c("decision_process", "Decision process", "决策流程", "Who must approve the purchase, and how?",
           "谁需要批准购买决策？流程是怎样的？"),
        _c("identify_pain", "Identify pain", "识别痛点", "What business pain and buying goal do they have?",
           "潜在客户面临的业务难点和购买目标是什么？"),
        _c("champion", "Champion", "销售教练", "Who inside their organisation will push for us?",
           "在潜在客户的组织中，谁会站在我们这边帮我们赢单？"),
    ),
    name_zh="MEDDIC",
    description="Metrics, economic buyer, decision criteria, decision process, identify pain, champion.",
    description_zh="指标、财务型买家、决策标准、决策流程、识别痛点、销售教练。",
)  # fmt: skip

# The customer-profile checklist of the 2021 SDR white paper (seed 004): the SDR team judges a lead on
# 15 profile items and hands it off as an MQL when more than 2/3 are satisfied (such MQLs were accepted
# over 90% of the time). The items are the facts the paper has the SDR collect: company facts from the
# signup, the website and enrichment, identity checks and WeChat, behaviour, and the quality signals.
PROFILE = Framework(
    "profile",
    "Customer profile checklist",
    (
        _c("industry", "Target industry", "所属行业符合",
           "The company is in an industry we target (signup details, website, enrichment).",
           "根据注册信息、官网或企业信息补全，所属行业在目标行业之内。"),
        _c("title", "Senior title, decision maker", "职位较高，是决策者",
           "The contact is senior: they decide, or sit close to the decision.", "联系人职位较高，是决策者或接近决策层。"),
        _c("company_size", "Company size fits", "企业人员规模符合",
           "Headcount is in the range we sell to (recruiting sites, enrichment).",
           "企业人员规模在目标范围内（可查招聘网站、企业信息平台）。"),
        _c("city", "City covered", "所在城市有覆盖", "The company is in a city or region our sales team covers.",
           "企业所在城市或区域有销售团队覆盖。"),
        _c("registered_capital", "Registered capital fits", "注册资金符合",
           "The registered capital shows a company able to afford the purchase.", "注册资金显示企业具备采购能力。"),
        _c("funding_round", "Funding round fits", "融资轮次符合",
           "The funding round (or listing) shows a company at a stage that buys solutions like ours.",
           "融资轮次（或已上市）表明企业处于会采购此类方案的阶段。"),
        _c("business_fit", "Main business fits", "主营业务匹配",
           "The products and customer cases on its website match the scenarios we serve.",
           "官网的“产品方案”“客户案例”显示其主营业务与我们服务的场景匹配。"),
        _c("info_verified", "Signup details verified", "注册信息真实",
           "Name, company and title checked on social channels or by exchanging business cards.",
           "已通过社交渠道核实或交换名片，确认姓名、公司、职位真实。"),
        _c("wechat_added", "Added on WeChat", "已添加微信",
           "The contact accepted the SDR's WeChat and is noted as industry + region + company + title.",
           "已添加客户微信，并备注“行业+地域+公司+职位”。"),
        _c("engaged", "Engaged with content or events", "有互动行为",
           "Registered for or attended events, downloaded content, joined a live session.",
           "报名或参加过活动、下载过资料、观看过直播。"),
        _c("inbound_intent", "Came to us", "主动咨询",
           "Reached out through the hotline, website chat or a trial, not only through content.",
           "通过400电话、官网在线咨询或试用主动找上门，而非仅通过内容注册。"),
        _c("pain", "Has a business problem", "有明确的业务难题",
           "The prospect knows they have a problem that needs a product or service.",
           "潜在客户遇到了需要借助产品或服务解决的业务问题。"),
        _c("solution_fit", "We can solve it", "我们能解决该问题", "Our product or service solves that problem.",
           "我们的产品或服务可以帮客户解决这个问题。"),
        _c("timeline", "Wants it solved soon", "希望尽快解决",
           "There is a go-live plan or date: solving it is a current priority.", "希望尽快解决，公司有具体的上线时间计划。"),
        _c("budget", "Budget can cover it", "预算可以支撑购买",
           "The budget supports the purchase, or can be requested or reallocated.",
           "预算可以支撑购买（即使目前不够，也可以额外申请或挪用）。"),
    ),
    name_zh="客户画像清单",
    description="15 profile items; more than 2/3 satisfied: hand off as an MQL (the source's rule).",
    description_zh="15 条客户画像信息，超过 2/3 满足即可转出为 MQL（来源中的规则）。",
)  # fmt: skip

BUILTIN_FRAMEWORKS = (BANT, CHAMP, MEDDIC, PROFILE)
BANT_CRITERIA = BANT.keys


# --- Validation of templates and answers ------------------------------------------------------------


def check_key(key: str, what: str = "key") -> None:
    """Keys are short lower-case slugs; a criterion key may not end in '_note' (its note field)."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise ValueError(
            f"{what} {key!r} must start with a letter and use only a-z, 0-9 and '_' (at most 40 characters)"
        )
    if key.endswith("_note"):
        raise ValueError(f"{what} {key!r} may not end in '_note'")


def check_states(framework: Framework, states: Mapping[str, str]) -> None:
    """Every key a criterion of the framework, every value a state; the message names all problems."""
    unknown = [k for k in states if k not in framework.keys]
    bad = [f"{k!r}: {v!r}" for k, v in states.items() if k in framework.keys and v not in CRITERION_STATES]
    problems = []
    if unknown:
        problems.append(
            f"unknown {framework.name} criteria: {', '.join(map(repr, unknown))}; "
            f"expected one of {', '.join(framework.keys)}"
        )
    if bad:
        problems.append(f"states must be one of {', '.join(CRITERION_STATES)}, not {', '.join(bad)}")
    if problems:
        raise ValueError("; ".join(problems))


# --- Gate rules -------------------------------------------------------------------------------------

AT_LEAST = "at_least"  # at least N criteria met
MORE_THAN = "more_than"  # more than a fraction of the criteria met (the source: > 2/3)
RULE_KINDS = (AT_LEAST, MORE_THAN)


@dataclass(frozen=True)
class GateRule:
    framework: str
    kind: str
    count: int = 0
    numerator: int = 0
    denominator: int = 1

    @classmethod
    def at_least(cls, framework: str, count: int) -> "GateRule":
        return cls(framework, AT_LEAST, count=count)

    @classmethod
    def more_than(cls, framework: str, numerator: int, denominator: int) -> "GateRule":
        return cls(framework, MORE_THAN, numerator=numerator, denominator=denominator)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    def check(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}; expected one of {', '.join(RULE_KINDS)}")
        if self.kind == AT_LEAST:
            if not isinstance(self.count, int) or self.count < 0:
                raise ValueError(f"'at least' needs a count of 0 or more, not {self.count!r}")
        else:
            n, d = self.numerator, self.denominator
            if not (isinstance(n, int) and isinstance(d, int)) or d < 1 or not 0 <= n < d:
                raise ValueError(f"'more than' needs a fraction n/d with 0 <= n < d, not {n}/{d}")

    def threshold(self) -> str:
        """'≥ 3' or '> 2/3'."""
        return f"≥ {self.count}" if self.kind == AT_LEAST else f"> {self.numerator}/{self.denominator}"

    def as_dict(self) -> dict:
        if self.kind == AT_LEAST:
            return {"framework": self.framework, "kind": self.kind, "count": self.count}
        return {"framework": self.framework, "kind": self.kind, "numerator": self.numerator,
                "denominator": self.denominator}  # fmt: skip


def parse_threshold(kind: str, text: str) -> GateRule:
    """A rule's threshold typed by a person: "3" for at least, "2/3" for more than (framework left empty)."""
    text = (text or "").strip().replace(" ", "")
    if kind == AT_LEAST:
        if not text.isdigit():
            raise ValueError(f"'at least' needs a whole number of criteria, not {text!r}")
        rule = GateRule.at_least("", int(text))
    elif kind == MORE_THAN:
        num, sep, den = text.partition("/")
        if not (sep and num.isdigit() and den.isdigit()):
            raise ValueError(f"'more than' needs a fraction such as 2/3, not {text!r}")
        rule = GateRule.more_than("", int(num), int(den))
    else:
        raise ValueError(f"unknown rule kind {kind!r}; expected one of {', '.join(RULE_KINDS)}")
    rule.check()
    return rule


def required_count(rule: GateRule, total: int) -> int:
    """The fewest criteria met that pass the rule, out of ``total`` (may exceed total: cannot pass)."""
    if rule.kind == AT_LEAST:
        return rule.count
    # The smallest m with m / total > n / d, i.e. m * d > n * total.
    return rule.numerator * total // rule.denominator + 1


@dataclass(frozen=True)
class RuleResult:
    rule: GateRule
    framework_name: str
    passed: bool
    met: int
    total: int
    required: int
    missing: tuple[str, ...]  # labels of the criteria not met, in template order
    missing_keys: tuple[str, ...]
    explanation: str

    @property
    def short(self) -> int:
        """How many more criteria must be met."""
        return max(0, self.required - self.met)


@dataclass(frozen=True)
class GateResult:
    passed: bool
    met: int
    required: int
    missing: tuple[str, ...]
    explanation: str
    rules: tuple[RuleResult, ...] = field(default=())


def evaluate_rule(rule: GateRule, framework: Framework, states: Mapping[str, str]) -> RuleResult:
    """``states``: criterion key → state for (some of) the framework's criteria; absent means unknown."""
    rule.check()
    if rule.framework != framework.key:
        raise ValueError(f"the rule is for {rule.framework!r}, not {framework.key!r}")
    check_states(framework, states)
    total = len(framework.criteria)
    met = sum(1 for c in framework.criteria if states.get(c.key) == MET)
    missing = tuple(c for c in framework.criteria if states.get(c.key) != MET)
    required = required_count(rule, total)
    passed = met >= required
    if rule.kind == AT_LEAST:
        gate = f"at least {required}"
    else:
        gate = f"more than {rule.numerator}/{rule.denominator}, i.e. at least {required}"
    explanation = f"{framework.name} {met} of {total} met (gate: {gate})"
    if not passed:
        explanation += f"; not yet met: {', '.join(c.label for c in missing)}"
    return RuleResult(
        rule=rule,
        framework_name=framework.name,
        passed=passed,
        met=met,
        total=total,
        required=required,
        missing=tuple(c.label for c in missing),
        missing_keys=tuple(c.key for c in missing),
        explanation=explanation,
    )


def evaluate_gate(
    rules: Iterable[GateRule],
    frameworks: Mapping[str, Framework],
    states: Mapping[str, Mapping[str, str]],
) -> GateResult:
    """All rules must pass. ``states``: framework key → criterion key → state. No rules: it passes."""
    results = []
    for rule in rules:
        framework = frameworks.get(rule.framework)
        if framework is None:
            raise ValueError(f"the gate names an unknown framework {rule.framework!r}")
        results.append(evaluate_rule(rule, framework, states.get(rule.framework, {})))
    if not results:
        return GateResult(True, 0, 0, (), "no handoff gate: any lead may be handed off")
    missing: list[str] = []
    for r in results:
        if not r.passed:
            missing += [m for m in r.missing if m not in missing]
    return GateResult(
        passed=all(r.passed for r in results),
        met=sum(r.met for r in results),
        required=sum(r.required for r in results),
        missing=tuple(missing),
        explanation="; and ".join(r.explanation for r in results)
        if len(results) > 1
        else results[0].explanation,
        rules=tuple(results),
    )


@dataclass(frozen=True)
class Progress:
    met: int
    not_met: int
    unknown: int
    total: int
    missing_keys: tuple[str, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


def progress(framework: Framework, states: Mapping[str, str]) -> Progress:
    values = [states.get(c.key, UNKNOWN) for c in framework.criteria]
    return Progress(
        met=values.count(MET),
        not_met=values.count(NOT_MET),
        unknown=values.count(UNKNOWN),
        total=len(values),
        missing_keys=tuple(c.key for c, v in zip(framework.criteria, values, strict=True) if v != MET),
    )


DEFAULT_GATE = (GateRule.at_least("bant", 3),)


def bant_gate(states: Mapping[str, str], required: int) -> GateResult:
    """Today's rule, kept for its callers: BANT at least ``required`` of 4 (missing: criterion keys)."""
    for name, state in states.items():
        if name not in BANT_CRITERIA:
            raise ValueError(f"unknown BANT criterion {name!r}; expected one of {', '.join(BANT_CRITERIA)}")
        if state not in CRITERION_STATES:
            raise ValueError(
                f"criterion {name!r} must be one of {', '.join(CRITERION_STATES)}, not {state!r}"
            )
    r = evaluate_rule(GateRule.at_least("bant", required), BANT, states)
    return GateResult(r.passed, r.met, r.required, r.missing_keys, r.explanation, (r,))
