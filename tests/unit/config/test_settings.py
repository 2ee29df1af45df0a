"""Configuration (orgbackup/config/settings.py): every bad value is one clear line naming the
variable, never its secret."""

from __future__ import annotations

import pytest

from orgbackup.config.readers import Secret
from orgbackup.config.settings import load_config, parse_ca_bundle
from orgbackup.errors import ConfigError
from tests.support.cli import minimal_env


def base_env(tmp_path, **extra):
    env = {
        "GITHUB_ORGS": "V-Sekai, other-org",
        "GITHUB_TOKEN": "tok-" + "x" * 20,
        "RESTIC_REPOSITORY": str(tmp_path / "repo"),
        "RESTIC_PASSWORD": "pw-secret-value",
        "BACKUP_CACHE_DIR": str(tmp_path / "cache"),
        "BACKUP_ENV_FILE": None,
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


@pytest.fixture(autouse=True)
def no_dotenv_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's folder


def test_defaults_and_derived_urls(tmp_path):
    config = load_config(base_env(tmp_path))
    assert config.orgs == ("V-Sekai", "other-org")
    assert config.api_url == "https://api.github.com"
    assert config.git_url == "https://github.com"
    assert config.retention.daily == 7 and not config.retention.keeps_everything
    assert config.hooks == "auto" and config.concurrency == 4
    assert "issues" in config.parts and "wikis" in config.parts


def test_personal_accounts_follow_the_organizations(tmp_path):
    config = load_config(base_env(tmp_path, GITHUB_USERS="alice, Bob"))
    assert config.orgs == ("V-Sekai", "other-org", "alice", "Bob")  # every account backed up
    assert config.users == ("alice", "Bob")
    assert config.is_user("bob") and config.is_user("ALICE") and not config.is_user("V-Sekai")
    alone = load_config(base_env(tmp_path, GITHUB_ORGS=None, GITHUB_USERS="alice"))
    assert alone.orgs == ("alice",) and alone.users == ("alice",)


def test_enterprise_host(tmp_path):
    config = load_config(base_env(tmp_path, GITHUB_HOST="localhost:8443"))
    assert config.api_url == "https://localhost:8443/api/v3"
    assert config.git_url == "https://localhost:8443"


def test_secret_never_in_repr(tmp_path):
    config = load_config(base_env(tmp_path))
    text = repr(config) + str(config)
    assert "x" * 20 not in text and "pw-secret-value" not in text
    assert "Secret('***')" in text


def test_secret_from_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("file-token-value\n")
    config = load_config(base_env(tmp_path, GITHUB_TOKEN=None, GITHUB_TOKEN_FILE=str(token_file)))
    assert config.token == Secret("file-token-value")


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"GITHUB_ORGS": None}, "GITHUB_ORGS or GITHUB_USERS is required"),
        ({"GITHUB_USERS": "al ice"}, "GITHUB_USERS: 'al ice' is not a valid user name"),
        ({"GITHUB_USERS": "alice,Alice"}, "GITHUB_USERS: user 'Alice' is listed twice"),
        ({"GITHUB_USERS": "v-sekai"}, "'v-sekai' is in both GITHUB_ORGS and GITHUB_USERS"),
        ({"GITHUB_ORGS": "bad name!"}, "GITHUB_ORGS"),
        ({"GITHUB_TOKEN": None}, "GITHUB_TOKEN (or GITHUB_TOKEN_FILE) is required"),
        ({"GITHUB_TOKEN_FILE": "/nonexistent/token"}, "GITHUB_TOKEN and GITHUB_TOKEN_FILE are both set"),
        ({"RESTIC_PASSWORD": None}, "RESTIC_PASSWORD"),
        ({"BACKUP_KEEP_DAILY": "seven"}, "BACKUP_KEEP_DAILY"),
        ({"BACKUP_PARTS": "issues,stars"}, "BACKUP_PARTS: unknown part 'stars'"),
        ({"BACKUP_HOOKS": "maybe"}, "BACKUP_HOOKS"),
        ({"BACKUP_GITIM": "perhaps"}, "BACKUP_GITIM"),
        ({"GITHUB_HOST": "https://exa mple"}, "GITHUB_HOST"),
        ({"BACKUP_CONCURRENCY": "0"}, "BACKUP_CONCURRENCY: must be at least 1"),
        ({"BACKUP_RETENTION": "nowhere"}, "BACKUP_RETENTION: expected one of here, separate"),
        ({"BACKUP_PRUNE_KEEP_WITHIN": "30 days"}, "BACKUP_PRUNE_KEEP_WITHIN: '30 days' is not a duration"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, extra, words):
    with pytest.raises(ConfigError) as err:
        load_config(base_env(tmp_path, **extra))
    message = str(err.value)
    assert words in message
    assert "x" * 20 not in message and "pw-secret-value" not in message


def test_token_file_unreadable(tmp_path):
    with pytest.raises(ConfigError, match="GITHUB_TOKEN_FILE: cannot read"):
        load_config(base_env(tmp_path, GITHUB_TOKEN=None, GITHUB_TOKEN_FILE=str(tmp_path / "missing")))


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / "backup.env"
    dotenv.write_text("GITHUB_ORGS=FromFile\nBACKUP_CONCURRENCY=7\n")
    env = base_env(tmp_path, GITHUB_ORGS=None, BACKUP_ENV_FILE=str(dotenv), BACKUP_CONCURRENCY="2")
    config = load_config(env)
    assert config.orgs == ("FromFile",)
    assert config.concurrency == 2


def test_default_dotenv_in_working_directory(tmp_path):
    (tmp_path / ".env").write_text("GITHUB_ORGS=Dotted\n")
    env = base_env(tmp_path, GITHUB_ORGS=None)
    assert load_config(env).orgs == ("Dotted",)


def test_missing_named_dotenv(tmp_path):
    with pytest.raises(ConfigError, match="BACKUP_ENV_FILE"):
        load_config(base_env(tmp_path, BACKUP_ENV_FILE=str(tmp_path / "nope.env")))


def test_retention_zero_keeps_everything(tmp_path):
    env = base_env(tmp_path, BACKUP_KEEP_DAILY="0", BACKUP_KEEP_WEEKLY="0", BACKUP_KEEP_MONTHLY="0", BACKUP_KEEP_YEARLY="0")
    assert load_config(env).retention.keeps_everything


def test_restore_commands_need_no_github(tmp_path):
    config = load_config(base_env(tmp_path, GITHUB_ORGS=None, GITHUB_TOKEN=None), need_github=False)
    assert config.orgs == ()


def test_retention_here_by_default_or_separate_and_the_prune_floor(tmp_path):
    config = load_config(base_env(tmp_path))
    assert config.retention_mode == "here" and config.prune_keep_within == "30d"
    config = load_config(base_env(tmp_path, BACKUP_RETENTION="Separate", BACKUP_PRUNE_KEEP_WITHIN="1y2m"))
    assert config.retention_mode == "separate" and config.prune_keep_within == "1y2m"


def test_keep_incomplete_days(tmp_path):
    assert load_config(base_env(tmp_path)).retention.incomplete_days == 14
    assert load_config(base_env(tmp_path, BACKUP_KEEP_INCOMPLETE_DAYS="3")).retention.incomplete_days == 3
    with pytest.raises(ConfigError, match="BACKUP_KEEP_INCOMPLETE_DAYS"):
        load_config(base_env(tmp_path, BACKUP_KEEP_INCOMPLETE_DAYS="-1"))


def test_restic_backend_variables_from_dotenv_and_environment(tmp_path):
    """The dotenv file's AWS_* reach the configuration (the environment wins); the
    repository and password travel by file, so they are not among them; no value shows."""
    dotenv = tmp_path / "backup.env"
    dotenv.write_text("AWS_ACCESS_KEY_ID=from-file-id\nAWS_SECRET_ACCESS_KEY=from-file-secret-1234\n"
                      "B2_ACCOUNT_ID=b2-from-file\n")
    config = load_config(base_env(tmp_path, BACKUP_ENV_FILE=str(dotenv),
                                  B2_ACCOUNT_ID="b2-from-environment", RESTIC_CACHE_DIR="/c/restic",
                                  GIT_ASKPASS="/bin/true"))
    assert dict(config.restic_backend) == {
        "AWS_ACCESS_KEY_ID": "from-file-id",
        "AWS_SECRET_ACCESS_KEY": "from-file-secret-1234",
        "B2_ACCOUNT_ID": "b2-from-environment",
        "RESTIC_CACHE_DIR": "/c/restic",
    }
    text = repr(config) + str(config)
    assert "from-file-secret-1234" not in text and "b2-from-environment" not in text
    assert "AWS_SECRET_ACCESS_KEY=***" in text


def test_stall_seconds_default_and_setting(tmp_path):
    assert load_config(base_env(tmp_path)).stall_seconds == 600
    assert load_config(base_env(tmp_path, BACKUP_STALL_SECONDS="30")).stall_seconds == 30
    with pytest.raises(ConfigError, match="BACKUP_STALL_SECONDS"):
        load_config(base_env(tmp_path, BACKUP_STALL_SECONDS="0"))


def test_rate_limit_max_wait_default_and_setting(tmp_path):
    assert load_config(base_env(tmp_path)).rate_limit_max_wait == 900
    assert load_config(base_env(tmp_path, BACKUP_RATE_LIMIT_MAX_WAIT="0")).rate_limit_max_wait == 0
    with pytest.raises(ConfigError, match="BACKUP_RATE_LIMIT_MAX_WAIT"):
        load_config(base_env(tmp_path, BACKUP_RATE_LIMIT_MAX_WAIT="soon"))


def test_git_timeout_is_a_deprecated_alias(tmp_path, caplog):
    config = load_config(base_env(tmp_path, BACKUP_GIT_TIMEOUT="120"))
    assert config.stall_seconds == 120
    assert "BACKUP_GIT_TIMEOUT is deprecated" in caplog.text
    both = load_config(base_env(tmp_path, BACKUP_GIT_TIMEOUT="120", BACKUP_STALL_SECONDS="45"))
    assert both.stall_seconds == 45


def test_bundle_and_file_both_set_or_bad_text_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigError, match="GITHUB_CA_BUNDLE and GITHUB_CA_BUNDLE_FILE are both set"):
        parse_ca_bundle({"GITHUB_CA_BUNDLE": "-----BEGIN CERTIFICATE-----", "GITHUB_CA_BUNDLE_FILE": "/x"})
    with pytest.raises(ConfigError, match="^GITHUB_CA_BUNDLE holds no PEM certificate"):
        parse_ca_bundle({"GITHUB_CA_BUNDLE": "not a certificate"})
    assert parse_ca_bundle({"GITHUB_CA_BUNDLE": "", "GITHUB_CA_BUNDLE_FILE": ""}) == (None, None)
    config = load_config(minimal_env(tmp_path))
    assert config.ca_bundle_file is None and config.ca_bundle_pem is None


def test_freshness_share_and_fresh_hours(tmp_path):
    config = load_config(base_env(tmp_path))
    assert (config.freshness_budget_share, config.fresh_hours) == (50, 12)
    config = load_config(base_env(tmp_path, BACKUP_FRESHNESS_BUDGET_SHARE="0", BACKUP_FRESH_HOURS="0"))
    assert (config.freshness_budget_share, config.fresh_hours) == (0, 0)
    for bad in ("101", "-1", "half"):
        with pytest.raises(ConfigError, match="BACKUP_FRESHNESS_BUDGET_SHARE"):
            load_config(base_env(tmp_path, BACKUP_FRESHNESS_BUDGET_SHARE=bad))


def test_a_second_copy_from_files_both_or_neither_and_never_a_backend_variable(tmp_path):
    (tmp_path / "copy-repo").write_text("rest:http://u:copy-pw-in-url@127.0.0.1:1/\n")
    (tmp_path / "copy-pw").write_text("copy-secret-value\n")
    config = load_config(base_env(tmp_path, RESTIC_COPY_REPOSITORY_FILE=str(tmp_path / "copy-repo"),
                                  RESTIC_COPY_PASSWORD_FILE=str(tmp_path / "copy-pw")))
    assert config.restic_copy_repository.reveal() == "rest:http://u:copy-pw-in-url@127.0.0.1:1/"
    assert config.restic_copy_password.reveal() == "copy-secret-value"
    # The copy's secrets travel by the run's own files, never as restic's backend environment.
    assert not [k for k in config.restic_backend if k.startswith("RESTIC_COPY")]
    assert "copy-secret-value" not in repr(config) and "copy-pw-in-url" not in repr(config)
    assert load_config(base_env(tmp_path)).restic_copy_repository is None

    with pytest.raises(ConfigError, match=r"RESTIC_COPY_PASSWORD \(or RESTIC_COPY_PASSWORD_FILE\) is required"):
        load_config(base_env(tmp_path, RESTIC_COPY_REPOSITORY="/somewhere"))
    with pytest.raises(ConfigError, match=r"RESTIC_COPY_REPOSITORY \(or RESTIC_COPY_REPOSITORY_FILE\) is required"):
        load_config(base_env(tmp_path, RESTIC_COPY_PASSWORD="copy-secret-value"))
    with pytest.raises(ConfigError) as err:
        load_config(base_env(tmp_path, RESTIC_COPY_REPOSITORY="/x", RESTIC_COPY_REPOSITORY_FILE=str(tmp_path / "copy-repo"),
                             RESTIC_COPY_PASSWORD="copy-secret-value"))
    assert "both set" in str(err.value) and "copy-secret-value" not in str(err.value)
