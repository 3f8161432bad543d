"""The workshop form: title, territory, questionnaire (the workshop one, or chosen sections of a
full one) and how the room answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from questionnaires import Catalog, Label

from ..campaigns.forms import CAMPAIGN_LEVELS, _describe, _find, territory_question
from ..forms import TerritoryField

TERRITORY_QUESTION = territory_question(
    "workshop", Label(fr="Territoire de l'atelier", en="Territory of the workshop"))


class WorkshopForm(FlaskForm):
    #: The territory must be given (see AnswerField).
    enforce_required = True
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)],
                        filters=[lambda value: value.strip() if isinstance(value, str) else value])
    questionnaire = SelectField(_l("Questionnaire"))
    sections = SelectMultipleField(
        _l("Sections asked (a full questionnaire only; none ticked: all of them)"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    step_mode = BooleanField(
        _l("Step by step: the room answers one question at a time, which you move on"))
    shared_devices = BooleanField(
        _l("Several participants may answer one after the other on the same phone"))

    def validate_sections(self, field) -> None:
        known = {choice.value for choice in self.sections.choices}
        if any(value not in known for value in field.data or ()):
            raise ValidationError(_l("Choose sections among those listed."))
        chosen = self.questionnaire.data
        if any(not value.startswith(f"{chosen}:") for value in field.data or ()):
            raise ValidationError(_l("Choose sections of the chosen questionnaire."))

    def chosen_sections(self) -> list[str] | None:
        values = [value.split(":", 1)[1] for value in self.sections.data or ()]
        return values or None


def workshop_form(catalog: Catalog, language: str, formdata=None) -> WorkshopForm:
    attributes = {
        "territory": TerritoryField(
            TERRITORY_QUESTION,
            language,
            find=_find,
            describe=_describe,
            search_args={"levels": ",".join(CAMPAIGN_LEVELS)},
        ),
    }
    form_class = type("WorkshopFormFor", (WorkshopForm,), attributes)
    form = form_class() if formdata is None else form_class(formdata=formdata)
    questionnaires = list(catalog.latest("atelier")) + list(catalog.latest("full"))
    form.questionnaire.choices = [
        SelectChoice(q.id, q.title.text(language)) for q in questionnaires]
    if form.questionnaire.data is None and questionnaires:
        form.questionnaire.data = questionnaires[0].id
    form.sections.choices = [
        SelectChoice(f"{q.id}:{section.id}",
                     f"{q.title.text(language)} — {section.title.text(language)}")
        for q in catalog.latest("full")
        for section in q.sections
    ]
    return form
