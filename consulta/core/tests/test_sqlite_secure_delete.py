"""A deleted consultation leaves nothing readable in the SQLite file (PRAGMA secure_delete)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from consulta.consultations import actions
from consulta.consultations.models import Consultation
from consulta.organisations.models import Clinic

call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
clinic = Clinic.objects.get(slug="northside")

def enter_and_delete(name):
    consultation = actions.enter(clinic, first_name=name, last_name=name + "-last", phone="+46701234567", answers=[])
    Consultation.objects.filter(pk=consultation.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL's pages into the file, the WAL emptied

enter_and_delete(sys.argv[1])  # with the settings' PRAGMAs
with connection.cursor() as cursor:
    cursor.execute("PRAGMA secure_delete=OFF")  # the control: SQLite's default
enter_and_delete(sys.argv[2])
connection.close()
"""


def test_a_deleted_consultations_name_is_not_in_the_database_file(tmp_path: Path) -> None:
    database = tmp_path / "consulta.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "consulta.settings", "DATABASE_URL": f"sqlite:///{database}"}
    deleted = f"Securely{uuid.uuid4().hex}"
    control = f"Lingering{uuid.uuid4().hex}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, deleted, control],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    contents = b"".join(path.read_bytes() for path in tmp_path.glob("consulta.sqlite3*"))
    assert deleted.encode() not in contents
    # Without secure_delete the same deletion leaves the name in the file's free space: the
    # check above would see it.
    assert control.encode() in contents
