"""Display labels for domain codes, translatable and shared by every blueprint."""

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {
    5: _l("非常满意"),
    4: _l("满意"),
    3: _l("基本满意"),
    2: _l("不满意"),
    1: _l("非常不满意"),
}
REASON_LABELS = {
    "attitude": _l("服务态度"),
    "efficiency": _l("办事效率"),
    "competence": _l("业务水平"),
    "facilities": _l("环境设施"),
    "repeat_visits": _l("多次跑腿"),
    "other": _l("其他"),
}
ROLE_LABELS = {"admin": _l("管理员"), "supervisor": _l("负责人"), "staff": _l("窗口人员")}
CHANNEL_LABELS = {
    "qr": _l("扫码"),
    "kiosk": _l("大厅评价终端"),
    "pad": _l("窗口评价器"),
    "api": _l("接口"),
}
STATUS_LABELS = {"counted": _l("计入"), "quarantined": _l("待审核"), "excluded": _l("已排除")}
COMPLAINT_STATUS_LABELS = {
    "new": _l("待核实"),
    "valid": _l("核实有效"),
    "invalid": _l("核实无效"),
    "rectifying": _l("整改中"),
    "rectified": _l("已整改"),
    "followed_up": _l("已回访"),
    "closed": _l("已办结"),
}
