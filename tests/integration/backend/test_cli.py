"""The ``faregate`` command against real databases."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from backend.cli import cli
from backend.schema import head_revisions
from fares.keys import PublicKey

HEAD = head_revisions()[0]


def run(database_url: str, *args: str, stdin: str | None = None) -> Result:
    runner = CliRunner()
    env = {"FAREGATE_DATABASE_URL": database_url, "FAREGATE_LOG_LEVEL": "WARNING"}
    return runner.invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)


def test_db_upgrade_is_idempotent_and_current_reports_head(empty_database_url: str) -> None:
    assert "no revision" in run(empty_database_url, "db", "current").output

    first = run(empty_database_url, "db", "upgrade")
    assert first.exit_code == 0
    assert f"upgraded from no revision (empty database) to {HEAD}" in first.output

    second = run(empty_database_url, "db", "upgrade")
    assert second.exit_code == 0
    assert f"already at {HEAD}" in second.output

    assert run(empty_database_url, "db", "current").output.strip() == f"{HEAD} (head)"


def test_create_admin_issue_token_and_revoke_it(database_url: str, client: FlaskClient) -> None:
    created = run(
        database_url,
        *("user", "create", "Ops@Example.org", "--role", "admin", "--password-stdin"),
        stdin="a long admin password\n",
    )
    assert created.exit_code == 0, created.output
    assert "created admin ops@example.org" in created.output

    issued = run(database_url, "token", "create", "--user", "ops@example.org", "--name", "ci")
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip().splitlines()[-1]
    assert client.get("/api/v1/staff/users", headers={"Authorization": f"Bearer {secret}"}).json[0][
        "email"
    ] == ("ops@example.org")

    listing = run(database_url, "token", "list").output
    token_id = listing.split("\t", 1)[0]
    assert secret not in listing
    assert "active" in listing

    assert run(database_url, "token", "revoke", token_id).exit_code == 0
    after = client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401
    assert after.json["error"]["code"] == "token_revoked"


def test_password_prompt_asks_twice(database_url: str) -> None:
    result = run(
        database_url,
        *("user", "create", "p@example.org", "--role", "planner"),
        stdin="first password!!\nfirst password!!\n",
    )
    assert result.exit_code == 0, result.output
    assert "created planner p@example.org" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "code"),
    [
        (
            ("user", "create", "x@example.org", "--role", "admin", "--password-stdin"),
            "short\n",
            "weak_password",
        ),
        (
            ("user", "create", "nobody", "--role", "admin", "--password-stdin"),
            "long enough pw\n",
            "invalid_email",
        ),
        (("token", "create", "--user", "ghost@example.org", "--name", "n"), None, "user_not_found"),
        (("token", "revoke", "999"), None, "token_not_found"),
    ],
)
def test_refusals_exit_1_with_a_code(
    database_url: str, args: tuple[str, ...], stdin: str | None, code: str
) -> None:
    result = run(database_url, *args, stdin=stdin)
    assert result.exit_code == 1
    assert f"error [{code}]" in result.stderr


def test_duplicate_admin_is_refused(database_url: str) -> None:
    args = ("user", "create", "a@example.org", "--role", "admin", "--password-stdin")
    assert run(database_url, *args, stdin="long enough pw\n").exit_code == 0
    again = run(database_url, *args, stdin="long enough pw\n")
    assert again.exit_code == 1
    assert "error [email_taken]" in again.stderr


def test_config_show_documents_each_key_and_hides_passwords() -> None:
    result = run("postgresql://faregate:s3cret@db.internal/faregate", "config", "show")
    assert result.exit_code == 0
    assert "s3cret" not in result.output
    assert "database_url = 'postgresql://faregate:***@db.internal/faregate'" in result.output
    assert "(env FAREGATE_LOG_FORMAT)" in result.output


def test_unreachable_database_is_reported_with_a_code() -> None:
    result = run("postgresql://postgres@127.0.0.1:1/none", "db", "current")
    assert result.exit_code == 1
    assert "error [database_unreachable]" in result.stderr


def test_keys_init_rotate_list_and_public(tmp_path: Path) -> None:
    env = {
        "FAREGATE_SIGNING_KEYS_FILE": str(tmp_path / "keys.json"),
        "FAREGATE_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()

    def keys(*args: str) -> Result:
        return runner.invoke(cli, ["keys", *args], env=env, catch_exceptions=False)

    assert "created with key 1" in keys("init").output
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600
    refused = keys("init")
    assert (refused.exit_code, "keyring_exists" in refused.output) == (1, True)
    assert keys("init", "--if-missing").exit_code == 0
    assert "new signing key 2" in keys("rotate").output
    time.sleep(1.1)  # the new key signs from the next whole second
    listed = [line.split("\t") for line in keys("list").output.splitlines()]
    assert [(row[0], row[3]) for row in listed] == [("1", "trusted"), ("2", "signing")]
    public = [PublicKey.from_json(line) for line in keys("public").output.splitlines()]
    assert [key.kid for key in public] == [1, 2]
