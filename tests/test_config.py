"""Configuration: defaults, instance/config.py, KIOSK_* variables, generated secret key."""

from kiosk import create_app
from kiosk.config import normalise_database_url


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app(instance_path=str(instance))
    second = create_app(instance_path=str(instance))
    key = (instance / "secret_key").read_text().strip()
    assert len(key) == 64 and first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    other = create_app(instance_path=str(tmp_path / "other"))
    assert other.config["SECRET_KEY"] != key


def test_instance_config_then_environment_override_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "PUBLIC_URL = 'https://from-file.example'\nSAME_DEVICE_INTERVAL_MINUTES = 10\n"
    )
    monkeypatch.setenv("KIOSK_SAME_DEVICE_INTERVAL_MINUTES", "15")
    app = create_app(instance_path=str(instance))
    assert app.config["PUBLIC_URL"] == "https://from-file.example"
    assert app.config["SAME_DEVICE_INTERVAL_MINUTES"] == 15


def test_database_url_selects_the_database(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(instance_path=str(tmp_path / "i"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'i' / 'hall.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/hall")
    app = create_app(instance_path=str(tmp_path / "i"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/hall"


def test_normalise_database_url_leaves_explicit_drivers_alone():
    assert normalise_database_url("postgresql+psycopg://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_there_is_no_module_level_app():
    import kiosk

    assert not hasattr(kiosk, "app")
