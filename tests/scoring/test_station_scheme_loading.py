"""Station scheme files: the two shipped checklists, and broken files refused at their line."""

import textwrap
from importlib import resources

import pytest

from scoring import SchemeError, load_station_scheme, station_scheme
from scoring._toml import SourceMap

SHIPPED_2019 = resources.files("scoring").joinpath("station_2019.toml").read_text("utf-8")

# A small scheme whose line numbers the tests below name by hand.
SMALL = textwrap.dedent(
    """\
    name = "测试细则"
    version = "t1"

    [[sections]]
    code = "operation"
    label = "运行情况"
    points = 100

    [[sections.items]]
    code = "records"
    label = "工作台账"
    # its sub-items below add up to 18

    points = 20

    [[sections.items.items]]
    code = "ledger"
    label = "服务登记台账"
    points = 10

    [[sections.items.items]]
    code = "visits"
    label = "走访记录"
    points = 8

    [[sections.items]]
    code = "hours"
    label = "开放时间"
    points = 80

    [members]
    combine = "mean"
    trim = true
    trim_from = 5

    [bonus]
    cap = 10
    categories = [
        { code = "innovation", label = "工作创新", min = 1, max = 5 },
        { code = "commendation", label = "上级表彰", min = 1, max = 10 },
    ]

    [deductions]
    categories = [{ code = "exposure", label = "媒体曝光", points = 10 }]

    [[grades]]
    code = "good"
    label = "良好"
    min = 60

    [[grades]]
    code = "poor"
    label = "较差"
    min = 0
    """
)


def load(tmp_path, text, name="broken.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_station_scheme(path)


def refusal(tmp_path, text, name="broken.toml"):
    with pytest.raises(SchemeError) as caught:
        load(tmp_path, text, name)
    return str(caught.value)


def line_of(text, snippet, after=None):
    """Return the 1-based line of the first line holding snippet (after the line holding after)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i for i in range(start, len(lines)) if snippet in lines[i]) + 1


def replaced(old, new):
    assert SHIPPED_2019.count(old) == 1, f"not a unique snippet: {old!r}"
    return SHIPPED_2019.replace(old, new)


def test_the_2019_checklist_is_three_sections_of_50_30_20(tmp_path):
    scheme = station_scheme("2019")
    assert [(s.code, s.label, s.max_points) for s in scheme.items] == [
        ("operation", "运行情况", 50),
        ("facilities", "服务设施", 30),
        ("rules", "服务制度", 20),
    ]
    assert sum(leaf.max_points for leaf in scheme.leaves) == 100
    assert scheme.item("operation.records.ledger").label == "服务登记台账完整"
    assert scheme.item("operation.staffing").max_points == 10
    assert {code: fill.metric for code, fill in scheme.auto.items()} == {
        "operation.satisfaction": "satisfaction_index",
        "operation.volume": "rating_volume",
        "operation.complaints_on_time": "complaints_on_time_share",
    }
    satisfaction = scheme.auto["operation.satisfaction"]
    assert (satisfaction.zero_at, satisfaction.full_at) == (60, 95)
    assert (scheme.combine, scheme.trim, scheme.trim_from) == ("mean", True, 5)
    assert scheme.bonus_cap == 10
    assert [(c.label, c.min_points, c.max_points) for c in scheme.bonus_categories] == [
        ("工作创新", 1, 5),
        ("经验推广", 1, 5),
        ("上级表彰", 1, 10),
    ]
    assert dict(scheme.deduction_category("complaint").by_severity) == {
        "minor": 3,
        "major": 5,
        "severe": 10,
    }
    assert dict(scheme.deduction_category("negligence").by_severity) == {
        "minor": 1,
        "major": 3,
        "severe": 5,
    }
    assert scheme.deduction_category("exposure").points == 10
    assert scheme.deduction_cap is None
    assert [(g.label, g.min_score) for g in scheme.grades] == [
        ("优秀", 90),
        ("良好", 80),
        ("一般", 60),
        ("较差", 0),
    ]
    # Loading the shipped file from a path gives the same scheme.
    assert load(tmp_path, SHIPPED_2019, "station_2019.toml") == scheme


def test_the_workstation_checklist_has_a_superiors_section_and_three_grades():
    scheme = station_scheme("workstation")
    assert [(s.label, s.max_points) for s in scheme.items] == [
        ("组织建设", 20),
        ("服务群众", 40),
        ("阵地建设", 20),
        ("台账管理", 10),
        ("上级评价", 10),
    ]
    assert dict(scheme.roles) == {"superior.overall": ("district_assessor",)}
    assert [g.label for g in scheme.grades] == ["优秀", "合格", "需改进"]
    assert scheme.deduction_cap == 20
    assert scheme.bonus_cap == 5


def test_an_unknown_shipped_scheme_is_named():
    with pytest.raises(KeyError, match="no shipped station scheme '2018'"):
        station_scheme("2018")


def test_the_small_scheme_loads(tmp_path):
    fixed = SMALL.replace("points = 20", "points = 18").replace("points = 80", "points = 82")
    scheme = load(tmp_path, fixed)
    assert [leaf.code for leaf in scheme.leaves] == [
        "operation.records.ledger",
        "operation.records.visits",
        "operation.hours",
    ]


def test_children_that_do_not_add_up_are_refused_at_the_items_points_line(tmp_path):
    assert refusal(tmp_path, SMALL) == (
        "broken.toml line 14: operation.records: children add up to 18, the item says 20"
    )


def test_an_entry_inside_an_inline_table_is_refused_at_that_tables_line(tmp_path):
    text = SMALL.replace("points = 20", "points = 18").replace("points = 80", "points = 82")
    text = text.replace(
        'label = "上级表彰", min = 1, max = 10', 'label = "上级表彰", min = 1, max = 12'
    )
    assert refusal(tmp_path, text) == (
        "broken.toml line 40: bonus.categories[1].max: 12 is above the overall bonus cap 10"
    )


def test_a_missing_top_level_key_is_refused_at_the_top_of_the_file(tmp_path):
    text = SMALL.replace('version = "t1"\n', "")
    assert refusal(tmp_path, text) == "broken.toml line 1: version: missing"


def test_a_file_that_is_not_toml_is_refused_at_the_decoders_line(tmp_path):
    text = SMALL.replace('label = "开放时间"', 'label = "开放时间')
    message = refusal(tmp_path, text)
    assert message.startswith("broken.toml line 28: not valid TOML: ")


@pytest.mark.parametrize(
    ("old", "new", "message", "where"),
    [
        (
            'code = "ledger"\nlabel = "服务登记台账完整"\npoints = 4',
            'code = "ledger"\nlabel = "服务登记台账完整"\npoints = 2',
            "operation.records: children add up to 8, the item says 10",
            ('code = "records"', "points = 10"),
        ),
        (
            'label = "便民设施（饮水、座椅、老花镜、充电）"\npoints = 8',
            'label = "便民设施（饮水、座椅、老花镜、充电）"\npoints = 13',
            "facilities: children add up to 35, the item says 30",
            ('code = "facilities"', "points = 30"),
        ),
        (
            'label = "服务设施"\npoints = 30',
            'label = "服务设施"\npoints = 35',
            "facilities: children add up to 30, the item says 35",
            ('code = "facilities"', "points = 35"),
        ),
        (
            'code = "hours"\n',
            'code = "hours"\nweight = 2\n',
            "operation.hours.weight: unknown key",
            (None, "weight = 2"),
        ),
        (
            'version = "2019"\n',
            'version = "2019"\nbonus_cap = 10\n',
            "bonus_cap: unknown key",
            (None, "bonus_cap = 10"),
        ),
        (
            'code = "accessibility"\nlabel = "无障碍设施"\n',
            'code = "accessibility"\n',
            "facilities.accessibility.label: missing",
            ('code = "accessibility"', None),
        ),
        (
            'code = "waiting"',
            'code = "reception"',
            "facilities.zoning.reception.code: duplicate code 'facilities.zoning.reception'",
            ('label = "接待服务区"', 'code = "reception"'),
        ),
        (
            'code = "hours"',
            'code = "Hours"',
            "operation.items[5].code: 'Hours' must be lower-case ASCII letters, digits and _",
            (None, 'code = "Hours"'),
        ),
        (
            'code = "absence"\nlabel = "离岗告示、AB 岗制度"\npoints = 2',
            'code = "absence"\nlabel = "离岗告示、AB 岗制度"\npoints = 0',
            "rules.absence.points: must be greater than 0",
            ('code = "absence"', "points = 0"),
        ),
        (
            'metric = "rating_volume"',
            'metric = "queue_length"',
            "operation.volume.auto.metric: unknown value 'queue_length' "
            "(allowed: satisfaction_index, rating_volume, complaints_on_time_share)",
            (None, "queue_length"),
        ),
        (
            "zero_at = 0.6, full_at = 1 }",
            "zero_at = 60, full_at = 1 }",
            "operation.complaints_on_time.auto.zero_at: must be between 0 and 1",
            (None, "zero_at = 60, full_at = 1 }"),
        ),
        (
            'map = "linear", zero_at = 60, full_at = 95',
            'map = "linear", zero_at = 60, full_at = 60',
            "operation.satisfaction.auto.full_at: must differ from zero_at",
            (None, "full_at = 60"),
        ),
        (
            'map = "linear", zero_at = 60, full_at = 95',
            'map = "steps", zero_at = 60, full_at = 95',
            "operation.satisfaction.auto.map: unknown value 'steps' (allowed: linear)",
            (None, 'map = "steps"'),
        ),
        (
            'label = "工作人员在岗"\npoints = 10\n',
            'label = "工作人员在岗"\npoints = 10\n'
            'auto = { metric = "rating_volume", map = "linear", zero_at = 0, full_at = 9 }\n',
            "operation.staffing.auto: only a leaf item can be filled from data",
            (None, "full_at = 9 }"),
        ),
        (
            'label = "离岗告示、AB 岗制度"\n',
            'label = "离岗告示、AB 岗制度"\nroles = ["mayor"]\n',
            "rules.absence.roles: unknown value 'mayor' "
            "(allowed: district_assessor, cross_staff, resident_rep)",
            (None, 'roles = ["mayor"]'),
        ),
        (
            'label = "工作创新"\nmin = 1\n',
            'label = "工作创新"\nmin = 6\n',
            "bonus.categories[0].min: 6 is above the category's max 5",
            (None, "min = 6"),
        ),
        (
            'label = "上级表彰"\nmin = 1\nmax = 10',
            'label = "上级表彰"\nmin = 1\nmax = 12',
            "bonus.categories[2].max: 12 is above the overall bonus cap 10",
            (None, "max = 12"),
        ),
        (
            'code = "promotion"',
            'code = "innovation"',
            "bonus.categories[1].code: duplicate bonus category 'innovation'",
            ('label = "工作创新"', 'code = "innovation"'),
        ),
        (
            "cap = 10\n",
            "cap = -1\n",
            "bonus.cap: must be at least 0",
            (None, "cap = -1"),
        ),
        (
            'label = "被督查通报或媒体曝光"\npoints = 10',
            'label = "被督查通报或媒体曝光"\npoints = 10\nseverities = { minor = 1 }',
            "deductions.categories[2]: needs either points or severities (exactly one)",
            ('code = "negligence"', "[[deductions.categories]]"),
        ),
        (
            "severities = { minor = 3, major = 5, severe = 10 }",
            "severities = { minor = 3, major = 5, fatal = 10 }",
            "deductions.categories[0].severities.fatal: unknown key",
            (None, "fatal = 10"),
        ),
        (
            "severities = { minor = 1, major = 3, severe = 5 }",
            "severities = {}",
            "deductions.categories[1].severities: needs at least one of minor, major, severe",
            (None, "severities = {}"),
        ),
        (
            "[deductions]\n",
            "[deductions]\ncap = -5\n",
            "deductions.cap: must be at least 0",
            (None, "cap = -5"),
        ),
        (
            'label = "良好"\nmin = 80',
            'label = "良好"\nmin = 95',
            "grades[1].min: grade bands must be descending (95 is not below 90)",
            (None, "min = 95"),
        ),
        (
            'label = "较差"\nmin = 0',
            'label = "较差"\nmin = 10',
            "grades[3].min: the last band must start at or below 0 so that every score has a grade",
            ('label = "较差"', "min = 10"),
        ),
        (
            'label = "优秀"\nmin = 90',
            'label = "优秀"\nmin = 120',
            "grades[0].min: the top band starts above 110",
            (None, "min = 120"),
        ),
        (
            'combine = "mean"',
            'combine = "median"',
            "members.combine: unknown value 'median' (allowed: mean)",
            (None, 'combine = "median"'),
        ),
        (
            "trim_from = 5",
            "trim_from = 2",
            "members.trim_from: must be at least 3",
            (None, "trim_from = 2"),
        ),
        (
            "trim = true",
            'trim = "yes"',
            "members.trim: must be true or false",
            (None, 'trim = "yes"'),
        ),
    ],
)
def test_a_broken_2019_file_is_refused_naming_its_line_and_rule(tmp_path, old, new, message, where):
    text = replaced(old, new)
    after, snippet = where
    # A missing key is refused at its table's header, the line before `after`.
    line = line_of(text, after) - 1 if snippet is None else line_of(text, snippet, after)
    assert (
        refusal(tmp_path, text, "station_2019.toml") == f"station_2019.toml line {line}: {message}"
    )


def test_sections_that_do_not_add_up_to_100_are_refused_at_the_first_section(tmp_path):
    text = replaced('label = "服务制度"\npoints = 20', 'label = "服务制度"\npoints = 25')
    text = text.replace('label = "首问负责制"\npoints = 5', 'label = "首问负责制"\npoints = 10')
    line = line_of(text, "[[sections]]")
    assert refusal(tmp_path, text, "station_2019.toml") == (
        f"station_2019.toml line {line}: sections: the sections add up to 105, "
        "the checklist is out of 100"
    )


def test_roles_on_an_item_filled_from_data_are_refused(tmp_path):
    text = replaced(
        'label = "群众满意度"\npoints = 10\n',
        'label = "群众满意度"\npoints = 10\nroles = ["resident_rep"]\n',
    )
    message = refusal(tmp_path, text, "s.toml")
    line = line_of(text, 'roles = ["resident_rep"]')
    assert message == (
        f"s.toml line {line}: operation.satisfaction.roles: "
        "an item filled from data is not scored by members"
    )


def test_the_source_map_follows_arrays_of_tables_and_skips_multi_line_values():
    text = textwrap.dedent(
        """\
        title = '''
        fake = 1
        [fake]
        '''
        list = [
            "a = 1",  # [not a header]
            'b',
        ]
        "quoted key".inner = 2
        [[a]]
        x = 1
        [[a.b]]
        y = 2
        [[a]]
        [a.c]
        z = 3
        [[a.b]]
        y = 4
        """
    )
    lines = SourceMap(text, "t.toml").lines
    assert ("fake",) not in lines
    assert ("a = 1",) not in lines
    assert lines[("list",)] == 5
    assert lines[("quoted key", "inner")] == 9
    assert lines[("a", 0, "x")] == 11
    assert lines[("a", 0, "b", 0, "y")] == 13
    assert lines[("a", 1)] == 14
    assert lines[("a", 1, "c", "z")] == 16
    assert lines[("a", 1, "b", 0, "y")] == 18
    assert SourceMap(text, "t.toml").line(("a", 1, "b", 0, "missing")) == 17
