"""The campaign form: built from the questionnaires available for each actor type."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from questionnaires import Catalog, Label, Question

from ..forms import TerritoryField
from ..services import territories

CAMPAIGN_LEVELS = ("commune", "epci", "departement", "region")

def territory_question(section: str, label: Label) -> Question:
    """The territory of a campaign or a workshop, found like a respondent's commune, at any
    level."""
    return Question(
        id="territory",
        type="territory",
        section=section,
        required=True,
        label=label,
        help=Label(
            fr="Commune, intercommunalité, département ou région : tapez son nom ou un code "
            "postal.",
            en="Municipality, inter-municipality, department or region: type its name or a "
            "postcode.",
        ),
    )


TERRITORY_QUESTION = territory_question(
    "campaign", Label(fr="Territoire de la campagne", en="Territory of the campaign"))


def _find(query: str):
    return territories.search_territories(query, CAMPAIGN_LEVELS)


def _describe(key: str):
    territory = territories.get_territory(key)
    if territory is None or territory.level not in CAMPAIGN_LEVELS:
        return None
    return territories.as_match(territory)


class CampaignForm(FlaskForm):
    #: The territory must be given (see AnswerField).
    enforce_required = True
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Start date (optional)"), validators=[Optional()])
    ends_on = DateField(_l("End date (optional)"), validators=[Optional()])

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The end date comes before the start date."))

    def actor_fields(self) -> list[tuple[BooleanField, SelectField]]:
        return [(self[f"actor_{actor}"], self[f"questionnaire_{actor}"]) for actor in self.actors]

    def chosen(self) -> dict[str, str]:
        """actor → questionnaire id, for the actor types ticked."""
        return {
            actor: self[f"questionnaire_{actor}"].data
            for actor in self.actors
            if self[f"actor_{actor}"].data
        }


def campaign_form(catalog: Catalog, language: str, formdata=None) -> CampaignForm:
    """The form with a box and a questionnaire choice per actor type, and the territory field."""
    attributes = {
        "actors": list(catalog.vocabulary.actors),
        "territory": TerritoryField(
            TERRITORY_QUESTION,
            language,
            find=_find,
            describe=_describe,
            search_args={"levels": ",".join(CAMPAIGN_LEVELS)},
        ),
    }
    for actor in catalog.vocabulary.actors:
        choices = [
            SelectChoice(q.id, q.title.text(language))
            for q in catalog.latest("full")
            if q.actor == actor
        ]
        attributes[f"actor_{actor}"] = BooleanField(
            catalog.vocabulary.actor_plurals[actor].text(language), default=True
        )
        attributes[f"questionnaire_{actor}"] = SelectField(
            _l("Questionnaire"), choices=choices, default=choices[0].value if choices else None
        )
    form_class = type("CampaignFormFor", (CampaignForm,), attributes)
    return form_class() if formdata is None else form_class(formdata=formdata)
