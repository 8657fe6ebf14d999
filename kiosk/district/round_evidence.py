"""Evidence in a round: a member attaches a photo or PDF to a station it scores; the district
(its admin and assessors) and the member who attached it open the file."""

from flask import abort, flash, redirect, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kiosk.district import bp
from kiosk.district.round_scoring import (
    EvidenceForm,
    ScoreForm,
    member_district,
    membership_or_404,
    render_form,
    round_station,
    stored_values,
)
from kiosk.extensions import db
from kiosk.forms import add_error
from kiosk.models import Hall, RoundEvidence
from kiosk.services import round_evidence, round_scores
from kiosk.services.station_rounds import RoundError


@bp.post("/<slug>/rounds/<int:round_id>/score/<int:hall_id>/evidence")
@login_required
def attach_evidence(slug: str, round_id: int, hall_id: int) -> ResponseReturnValue:
    """Attach a photo or PDF to the member's scoring of a station."""
    round_, member = membership_or_404(slug, round_id)
    hall = round_station(round_, member, hall_id)
    if not isinstance(hall, Hall):
        return hall
    form = EvidenceForm()
    form.fill_choices(round_scores.items_for(round_scores.scheme_of(round_), member.role))
    values = stored_values(round_, hall, member)
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(round_evidence.max_bytes() + 1)
        try:
            round_evidence.attach(
                round_,
                hall,
                member,
                upload.filename or "",
                data,
                item=form.item.data or None,
                actor=current_user,
            )
        except RoundError as error:
            db.session.rollback()
            add_error(form.file, str(error))
            return render_form(round_, member, hall, ScoreForm(), values, {}, 422, form)
        db.session.commit()
        flash(_("已上传佐证材料。"))
        return redirect(
            url_for("district.score_station", slug=slug, round_id=round_id, hall_id=hall_id)
        )
    return render_form(round_, member, hall, ScoreForm(), values, {}, 400, form)


@bp.get("/<slug>/rounds/<int:round_id>/evidence/<int:evidence_id>")
@login_required
def evidence_file(slug: str, round_id: int, evidence_id: int) -> ResponseReturnValue:
    """Send an evidence file to the district's admin or assessors, or to its uploader."""
    district = current_user.district if current_user.is_district_user else member_district()
    if district is None:
        abort(403)
    if district.slug != slug:
        abort(404)
    evidence = db.session.get(RoundEvidence, evidence_id)
    if (
        evidence is None
        or evidence.round_id != round_id
        or not round_evidence.may_open(evidence, current_user)
    ):
        abort(404)
    path = round_evidence.file_path(evidence)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=evidence.mime,
        as_attachment=evidence.mime == "application/pdf",
        download_name=evidence.file_name,
        max_age=0,
    )
    # Shown as what it is, and nothing in it runs as this site's page.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
