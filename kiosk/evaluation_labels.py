"""Display labels for the evaluation: its codes, the scoring package's texts, explanation lines."""

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

import scoring
from scoring.explain import render

KIND_LABELS = {"self": _l("自评"), "peer": _l("同事互评"), "supervisor": _l("负责人评价")}
LEDGER_KIND_LABELS = {"bonus": _l("加分"), "deduction": _l("扣分"), "complaint": _l("投诉扣分")}
TASK_STATUS_LABELS = {
    "pending": _l("未提交"),
    "reopened": _l("已退回修改"),
    "submitted": _l("已提交"),
}
FLAG_LABELS = {
    "missing:self": _l("缺自评"),
    "missing:supervisor": _l("缺负责人评价"),
    "missing:residents": _l("缺居民满意度"),
    "missing:peer": _l("缺同事互评"),
    "insufficient_ratings": _l("评价数不足"),
    "peers_trimmed": _l("互评去掉最高最低"),
    "bonus_capped": _l("加分已封顶"),
    "clipped": _l("得分已截断"),
    "veto": _l("一票否决"),
    "quota_demoted": _l("优秀名额所限"),
    "unscored": _l("不计分"),
}


def flag_label(flag: str) -> str:
    """Return the Chinese label of a result flag (the code itself if unknown)."""
    return str(FLAG_LABELS.get(flag, flag))


# Texts that come from the scoring package and the default scheme (scoring/default_scheme.toml):
# source and grade names, the rubric, the scheme's name and the tie rule, and the separators of
# lists in explanation lines. They are shown in the reader's language where the catalog has
# them; a hall's own scheme shows as written. (The explanation templates themselves are msgids
# extracted from scoring/ by the keyword Phrase.)
SCHEME_TEXTS = {
    "自评": _l("自评"),
    "负责人评价": _l("负责人评价"),
    "居民满意度": _l("居民满意度"),
    "同事互评": _l("同事互评"),
    "优秀": _l("优秀"),
    "良好": _l("良好"),
    "合格": _l("合格"),
    "不合格": _l("不合格"),
    "窗口人员考核方案": _l("窗口人员考核方案"),
    "服务质量": _l("服务质量"),
    "服务态度": _l("服务态度"),
    "服务效率": _l("服务效率"),
    "工作效率": _l("工作效率"),
    "任务完成": _l("任务完成"),
    "流程优化": _l("流程优化"),
    "工作创新": _l("工作创新"),
    "团队合作": _l("团队合作"),
    "协作精神": _l("协作精神"),
    "沟通能力": _l("沟通能力"),
    "团队凝聚力": _l("团队凝聚力"),
    "意见建议处理": _l("意见建议处理"),
    "投诉处理": _l("投诉处理"),
    scoring.TIE_RULE: _l(
        "同分时依次比较：居民满意度指数（平滑后）高者在前；负责人评价高者在前；"
        "经核实投诉少者在前；居民评价数多者在前；仍相同则并列"
    ),
    # the separators of lists in an explanation line
    "、": _l("、"),
    "，": _l("，"),
}


def scheme_text(text: str | None) -> str | None:
    """Return a scoring or default-scheme text in the reader's language (else as written)."""
    return str(SCHEME_TEXTS[text]) if text in SCHEME_TEXTS else text


def explanation_text(line: dict[str, Any]) -> str:
    """Return a stored explanation line in the reader's language.

    Its phrase goes through the catalog (the scoring package's templates are msgids); a line
    stored without one (a snapshot older than phrases) shows its text as written.
    """
    return _in_reader_language(line, "text")


def adjustment_reason(adjustment: dict[str, Any]) -> str:
    """Return an applied adjustment's reason: the package's words translated, typed ones as is."""
    return _in_reader_language(adjustment, "reason")


def _in_reader_language(item: dict[str, Any], written: str) -> str:
    phrase = item.get("phrase")
    return render(phrase, gettext) if phrase else str(item[written])
