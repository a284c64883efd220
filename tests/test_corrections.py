"""`POST /api/corrections`, the database behind it and the `flask corrections` commands,
on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, inspect, text

from model_training import canvas
from recognition import PROJECT_ROOT, preprocess
from tests.support import bad_requests, data_url, free_port
from webapp import create_app
from webapp.database import MIGRATIONS, behind, db

COLUMNS = {"id", "pixels", "label", "answer", "confidence", "model", "created_at", "idempotency_key"}
OLD_REVISION = "36bf35b0f661"  # the first migration: the table before idempotency keys


def make_app(url: str, **config):
    return create_app({"TESTING": True, "DATABASE_URL": url, **config})


def rows(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT * FROM corrections ORDER BY id")).mappings().all()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def drawings(mnist) -> list[tuple[int, bytes]]:
    """(label, PNG) for one MNIST test digit of each class, redrawn by pen on a canvas."""
    _, (x_test, y_test) = mnist
    return [(d, canvas.draw_digit(x_test[np.flatnonzero(y_test == d)[0]], canvas.Style())) for d in range(10)]


def test_a_correction_keeps_what_the_model_saw_and_nothing_else(database, drawings):
    app = make_app(database)
    client = app.test_client()
    label, png = drawings[4]
    answered = client.post("/api/predict", json={"image": data_url(png)}).get_json()
    response = client.post("/api/corrections", json={"image": data_url(png), "label": 9},
                           headers={"X-Forwarded-For": "203.0.113.9", "User-Agent": "secret-agent"})
    assert response.status_code == 201, response.get_json()
    assert response.headers["Content-Type"] == "application/json"
    (row,) = rows(database)
    assert row["id"] == response.get_json()["id"]
    assert set(row.keys()) == COLUMNS  # no address, no upload, no other field
    assert bytes(row["pixels"]) == preprocess(png).tobytes()
    assert row["label"] == 9
    assert row["answer"] == answered["predictions"][0]["digit"] == label
    assert row["confidence"] == pytest.approx(answered["predictions"][0]["confidence"], abs=1e-5)
    assert row["model"].startswith("cnn.tflite@") and len(row["model"]) == len("cnn.tflite@") + 12
    created = row["created_at"] if isinstance(row["created_at"], datetime) else datetime.fromisoformat(row["created_at"])
    created = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=5)
    assert row["idempotency_key"] is None  # none was sent


def test_a_retried_correction_is_stored_once(database, drawings):
    """The same Idempotency-Key again (a client's retry, or nginx's) answers the first id and
    stores nothing more; another key, or none, stores another correction."""
    client = make_app(database).test_client()
    body = {"image": data_url(drawings[2][1]), "label": 2}
    first = client.post("/api/corrections", json=body, headers={"Idempotency-Key": "a1b2c3"})
    again = client.post("/api/corrections", json=body, headers={"Idempotency-Key": "a1b2c3"})
    assert first.status_code == again.status_code == 201, (first.get_json(), again.get_json())
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    other = client.post("/api/corrections", json=body, headers={"Idempotency-Key": "d4e5f6"})
    plain = [client.post("/api/corrections", json=body) for _ in range(2)]
    assert [r.status_code for r in [other, *plain]] == [201, 201, 201]
    stored = rows(database)
    assert [row["idempotency_key"] for row in stored] == ["a1b2c3", "d4e5f6", None, None]
    assert len({row["id"] for row in stored}) == 4


@pytest.mark.parametrize("key", ["", "x" * 129, "two words", "caf\u00e9"])
def test_a_bad_idempotency_key_is_400_and_nothing_is_kept(tmp_path, drawings, key):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    client = make_app(url).test_client()
    response = client.post("/api/corrections", json={"image": data_url(drawings[1][1]), "label": 1},
                           headers={"Idempotency-Key": key})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["error"]
    assert not os.path.exists(tmp_path / "c.sqlite3") or rows(url) == []


def test_a_database_of_the_first_schema_is_migrated_on_first_use(database, drawings):
    """A database an earlier version made (no idempotency keys) is brought to the latest migration
    by the first correction, and what it held is kept."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade", OLD_REVISION],
                          cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": database}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO corrections (pixels, label, answer, confidence, model, created_at) "
                                "VALUES (:pixels, 5, 6, 0.5, 'old', :now)"),
                           {"pixels": bytes(784), "now": datetime.now(timezone.utc)})
    engine.dispose()
    client = make_app(database).test_client()
    response = client.post("/api/corrections", json={"image": data_url(drawings[3][1]), "label": 3},
                           headers={"Idempotency-Key": "k1"})
    assert response.status_code == 201, response.get_json()
    stored = rows(database)
    assert [(row["label"], row["idempotency_key"]) for row in stored] == [(5, None), (3, "k1")]
    assert stored[0]["model"] == "old"
    engine = create_engine(database)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert version == ScriptDirectory(str(MIGRATIONS)).get_current_head() != OLD_REVISION


@pytest.mark.parametrize("label, stored", [(0, 0), (9, 9), ("7", 7), ("not_a_digit", 10)])
def test_labels_digits_and_not_a_digit(tmp_path, drawings, label, stored):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    response = make_app(url).test_client().post("/api/corrections", json={"image": data_url(drawings[2][1]), "label": label})
    assert response.status_code == 201
    assert [r["label"] for r in rows(url)] == [stored]


@pytest.mark.parametrize("body", [{}, {"label": None}, {"label": 10}, {"label": -1}, {"label": "ten"}, {"label": 3.0},
                                  {"label": True}, {"label": "not a digit"}, {"label": [3]}, {"label": "12"}])
def test_a_missing_or_bad_label_is_400_and_nothing_is_kept(tmp_path, drawings, body):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    response = make_app(url).test_client().post("/api/corrections", json={"image": data_url(drawings[2][1]), **body})
    assert response.status_code == 400
    assert "label" in response.get_json()["error"]
    assert not inspect(create_engine(url)).has_table("corrections") or rows(url) == []


def with_label(options: dict) -> dict:
    """A bad request's body with a valid label added, in the body's own form."""
    options = dict(options)
    if isinstance(options.get("json"), dict):
        options["json"] = {**options["json"], "label": 3}
    elif isinstance(options.get("data"), dict):
        options["data"] = {**options["data"], "label": "3"}
    return options


def test_every_body_predict_refuses_is_refused_the_same_way(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    client = make_app(url).test_client()
    for name, (status, options) in bad_requests().items():
        predicted = client.post("/api/predict", **with_label(options))
        corrected = client.post("/api/corrections", **with_label(bad_requests()[name][1]))
        assert (predicted.status_code, corrected.status_code) == (status, status), name
        assert corrected.get_json()["error"] and predicted.get_json()["error"], name
    assert not inspect(create_engine(url)).has_table("corrections") or rows(url) == []


def test_multipart_upload_with_a_label(tmp_path, drawings):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    response = make_app(url).test_client().post(
        "/api/corrections", data={"file": (io.BytesIO(drawings[5][1]), "five.png"), "label": "5"},
        content_type="multipart/form-data")
    assert response.status_code == 201
    assert [r["label"] for r in rows(url)] == [5]


def test_collecting_off_refuses_with_json_and_hides_the_option(tmp_path, drawings):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    client = make_app(url, DIGITS_COLLECT=False).test_client()
    response = client.post("/api/corrections", json={"image": data_url(drawings[1][1]), "label": 1})
    assert response.status_code == 403
    assert "DIGITS_COLLECT" in response.get_json()["error"]
    assert 'id="correct"' not in client.get("/").get_data(as_text=True)
    assert 'id="correct"' in make_app(url).test_client().get("/").get_data(as_text=True)
    assert not os.path.exists(tmp_path / "c.sqlite3")


@pytest.mark.parametrize("kind", ["sqlite missing folder", "sqlite read-only", "postgresql down"])
def test_database_down_corrections_503_predictions_200(tmp_path, drawings, kind):
    if kind == "sqlite missing folder":
        url = f"sqlite:///{tmp_path / 'missing' / 'c.sqlite3'}"
    elif kind == "sqlite read-only":
        make_app(f"sqlite:///{tmp_path / 'c.sqlite3'}").test_client().post(
            "/api/corrections", json={"image": data_url(drawings[1][1]), "label": 1})
        url = f"sqlite:///file:{tmp_path / 'c.sqlite3'}?mode=ro&uri=true"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres"
    client = make_app(url).test_client()
    body = {"image": data_url(drawings[1][1]), "label": 7}
    for _ in range(2):
        response = client.post("/api/corrections", json=body)
        assert response.status_code == 503
        assert response.get_json()["error"].startswith("corrections cannot be stored")
        assert client.post("/api/predict", json={"image": body["image"]}).status_code == 200


def test_a_full_database_answers_503_and_predictions_go_on(tmp_path, drawings):
    app = make_app(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    client = app.test_client()
    body = {"image": data_url(drawings[6][1]), "label": 6}
    assert client.post("/api/corrections", json=body).status_code == 201
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
        # SQLite's own size limit, set on every new connection: the file may not grow any more.
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count={pages}"))
        engine.dispose()
    statuses = {client.post("/api/corrections", json=body).status_code for _ in range(20)}
    assert statuses == {201, 503} or statuses == {503}, statuses
    assert client.post("/api/predict", json={"image": body["image"]}).status_code == 200


def test_db_upgrade_creates_the_schema_from_an_empty_database(database):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"], cwd=PROJECT_ROOT,
                          env={**os.environ, "DATABASE_URL": database}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"corrections", "alembic_version"} <= set(inspect(create_engine(database)).get_table_names())
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    engine = create_engine(database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    engine.dispose()
    assert rows(database) == []


def test_a_schema_another_worker_is_still_creating_counts_as_behind(tmp_path):
    """SQLite's migrations are not one transaction: the migration history table exists before the
    corrections table. A worker that looks then must wait for the schema, not write to no table."""
    url = f"sqlite:///{tmp_path / 'half.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    with app.app_context():
        assert behind(db.engine)
        upgrade(directory=str(MIGRATIONS))
        assert not behind(db.engine)
        assert {"corrections", "alembic_version"} <= set(inspect(db.engine).get_table_names())


def test_the_first_correction_creates_the_schema_of_an_empty_database(database, drawings):
    response = make_app(database).test_client().post("/api/corrections", json={"image": data_url(drawings[3][1]), "label": 3})
    assert response.status_code == 201
    assert {"corrections", "alembic_version"} <= set(inspect(create_engine(database)).get_table_names())


def test_export_round_trip_and_stats(database, drawings, tmp_path):
    app = make_app(database)
    client = app.test_client()
    sent = [(d, png) for d, png in drawings] + [("not_a_digit", drawings[8][1]), (1, drawings[7][1])]
    ids = [client.post("/api/corrections", json={"image": data_url(png), "label": label}).get_json()["id"] for label, png in sent]
    out = tmp_path / "export" / "corrections.npz"
    result = app.test_cli_runner().invoke(args=["corrections", "export", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out) as npz:
        assert npz["x_train"].shape == (11, 28, 28) and npz["x_train"].dtype == np.uint8
        assert npz["y_train"].dtype == np.uint8
        assert list(npz["y_train"]) == [d for d, _ in sent if d != "not_a_digit"]
        assert list(npz["id_train"]) == [i for i, (d, _) in zip(ids, sent) if d != "not_a_digit"]
        assert npz["x_not_a_digit"].shape == (1, 28, 28) and list(npz["id_not_a_digit"]) == [ids[10]]
        assert np.array_equal(npz["x_not_a_digit"][0], preprocess(drawings[8][1]))
        for image, (_, png) in zip(npz["x_train"], [s for s in sent if s[0] != "not_a_digit"]):
            assert np.array_equal(image, preprocess(png))
    stats = app.test_cli_runner().invoke(args=["corrections", "stats"])
    assert stats.exit_code == 0, stats.output
    lines = {line.split()[0]: line.split() for line in stats.output.splitlines()[1:]}
    assert lines["1"][1] == "2" and lines["all"][1] == "12"
    assert lines["not"][3] == "1"  # the model answered a digit for it: wrong
    assert int(lines["all"][2]) >= 2  # the 7 labelled 1 and the 8 labelled "not a digit" at least
