"""Display labels for the evaluation's codes (assessor kinds, ledger kinds, result flags)."""

from flask_babel import lazy_gettext as _l

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
