"""Flask extensions, created unbound and initialised in create_app()."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from wtforms import Field
from wtforms.csrf.core import CSRFTokenField
from wtforms.widgets import HiddenInput

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass Model. At run time it is db.Model: Base with Flask-SQLAlchemy's mixin, which
# binds each table to db and names it. mypy cannot take db.Model (an attribute built at run time)
# as a base class, so it checks the models against Base, which has every column and relationship
# API they use (nothing here uses the mixin's legacy Model.query).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# Batch mode lets later migrations alter tables on SQLite too.
migrate = Migrate(render_as_batch=True)
csrf = CSRFProtect()


class _TokenInput(HiddenInput):
    """The CSRF token's hidden input, without an id.

    A page with several forms (a list with a button per row) would repeat id="csrf_token" in
    each of them, which is invalid HTML; nothing refers to the token by its id.
    """

    def __call__(self, field: Field, **kwargs: object) -> Markup:
        kwargs.setdefault("id", False)  # WTForms leaves out attributes whose value is False
        return super().__call__(field, **kwargs)


CSRFTokenField.widget = _TokenInput()  # type: ignore[misc]  # the stubs declare widget per instance; this class default is what every instance reads
login_manager = LoginManager()
babel = Babel()
