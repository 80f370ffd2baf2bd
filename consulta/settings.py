"""Django settings for Consulta.

Every setting that differs between machines comes from an environment
variable, read through the small typed helpers below. Each variable is
documented in docs/configuration.md; keep the two in step.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from consulta.core import languages

# Lets typed generics such as ModelForm[Clinic] run, not only type-check.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # the demo database and collected static files; git-ignored


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def secret_key() -> str:
    """SECRET_KEY, or the contents of the file SECRET_KEY_FILE names; without either, no start.

    There is no fallback key: a known key would sign sessions, password-reset links and
    patients' links that anyone could forge. `make run` makes a random one in var/secret_key.
    """
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    path = os.environ.get("SECRET_KEY_FILE", "").strip()
    if path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE names {path!r}, which cannot be read: {error}.") from None
        if not key:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE names {path!r}, which is empty.")
        return key
    raise ImproperlyConfigured(
        "No secret key: set SECRET_KEY to a long random string, or SECRET_KEY_FILE to the path of a file "
        "holding one (for example: python3 -c 'import secrets; print(secrets.token_urlsafe(50))' "
        "> /etc/consulta/secret_key). `make run` makes its own in var/secret_key."
    )


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = env_str("SITE_NAME", "Consulta")
# Absolute address of this site, used in e-mails and printed links.
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "channels",
    "axes",
    "csp",
    "django_tasks",  # the background worker (Django's task framework); see the TASKS block
    "django_tasks_db",
    "consulta.core",
    "consulta.accounts",
    "consulta.organisations",
    "consulta.rooms",
    "consulta.consultations",
    "consulta.calls",
    "consulta.eventlog",
    "consulta.alerts",
    "consulta.reports",
    "consulta.precall",
    "django_otp",  # two-factor devices (consulta/twofactor)
    "django_otp.plugins.otp_totp",
    "consulta.twofactor",
    "consulta.sso",
    "consulta.api",
    "consulta.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy: camera, microphone and screen capture for this site only (PERMISSIONS_POLICY).
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on everything below WhiteNoise (every page; static files keep theirs).
    "consulta.core.middleware.NoStore",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's own language, kept on their account, over the browser's.
    "consulta.core.middleware.PersonLanguage",
    # The person and address every event a request causes is recorded with (consulta/eventlog).
    "consulta.eventlog.context.EventContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Under ASGI, everything above runs synchronously in the request's thread, without a
    # hop to the event loop and back for each middleware hook: see its docstring.
    "consulta.core.middleware.SynchronousStack",
    # Axes last, as its documentation asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "consulta.urls"
ASGI_APPLICATION = "consulta.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "consulta" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "consulta.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'consulta.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while a patient's entry is written.
    DATABASES["default"]["OPTIONS"] = {
        # secure_delete: a deleted row's bytes (a patient's name, phone, answers) are overwritten
        # with zeros, not left readable in the file's free space.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and DATABASES["default"]["CONN_MAX_AGE"] == 0  # a pool or persistent connections, not both
    and env_int("DB_POOL_MAX_SIZE", 10) > 0
):
    # Under ASGI every request and every socket's database step opens a connection, and a
    # new PostgreSQL connection is a new server process: borrow one from a pool instead.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("DB_POOL_MAX_SIZE", 10),
        "timeout": 20,  # seconds a request waits for a free connection
    }

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "consulta.core.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 100),
                        # Seconds a command waits for a free connection of the pool.
                        "timeout": 20,
                        # Above channels-redis's 5 s blocking receive: redis-py 8's default of
                        # 5 s cuts that receive off under load and takes the socket with it.
                        "socket_timeout": 15,
                        "socket_connect_timeout": 10,
                    }
                ],
            },
        }
    }
else:
    # One process only: fine for the demo and the tests, not for scale-out.
    CHANNEL_LAYERS = {"default": {"BACKEND": "consulta.core.channel_layer.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 13},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 30)

# Login throttling (django-axes): lock a username from one address after
# repeated failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Where axes finds the username: Django's login form and authenticate() call it
# "username". Axes's default is USERNAME_FIELD ("email"), which is never there:
# every failure was then recorded without a username and a lock-out never held.
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("LOGIN_THROTTLING", True)
# `manage.py cleanup` deletes login records (axes' attempts, logins, failures) older than this.
LOGIN_RECORD_RETENTION_DAYS = env_int("LOGIN_RECORD_RETENTION_DAYS", 30)
# ... and the rows of finished background tasks (an e-mail's subject and recipients) older than this.
TASK_RECORD_RETENTION_DAYS = env_int("TASK_RECORD_RETENTION_DAYS", 7)
# ... and events of the event log (the audit trail; reports read it) older than this: two years,
# so that a year can be compared with the one before.
EVENT_LOG_RETENTION_DAYS = env_int("EVENT_LOG_RETENTION_DAYS", 731)
# Off only to measure what the log costs (bench/event_log_cost.py): no audit trail, no alerts then.
EVENT_LOG_ENABLED = env_bool("EVENT_LOG_ENABLED", True)

# Behind nginx (or another proxy) that ends TLS: trust its X-Forwarded-Proto, send plain-HTTP
# visitors to HTTPS, and tell browsers to come back over HTTPS only (HSTS).
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = BEHIND_TLS_PROXY
# The proxy's health checks reach a worker over plain HTTP, without X-Forwarded-Proto.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 60 * 60) if BEHIND_TLS_PROXY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a promise to browsers' built-in lists that takes months to undo: opt in only.
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # check --deploy's "you have not set SECURE_HSTS_PRELOAD": off by choice, see above.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", BEHIND_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The browser features a page may use: the call's camera, microphone, screen sharing and speaker
# choice, for this site's own pages only (no frame, no other origin); everything else of note off.
# The clipboard keeps the browser's default (this site only, reading behind a permission prompt):
# the browser tests read what a copy field put there.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    **{feature: ["self"] for feature in ("camera", "microphone", "display-capture", "speaker-selection")},
    **{feature: ["self"] for feature in ("autoplay", "fullscreen", "picture-in-picture")},
    **{
        feature: []
        for feature in (
            "accelerometer",
            "ambient-light-sensor",
            "bluetooth",
            "browsing-topics",
            "encrypted-media",
            "gamepad",
            "geolocation",
            "gyroscope",
            "hid",
            "identity-credentials-get",
            "idle-detection",
            "interest-cohort",
            "local-fonts",
            "magnetometer",
            "midi",
            "otp-credentials",
            "payment",
            "publickey-credentials-create",
            "publickey-credentials-get",
            "screen-wake-lock",
            "serial",
            "storage-access",
            "usb",
            "window-management",
            "xr-spatial-tracking",
        )
    },
}

# A strict policy: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en"
# The 64 languages, each under its own name: consulta/core/languages.py.
LANGUAGES = languages.django_languages()
LANGUAGES_BIDI = languages.bidi_codes()
languages.install_lang_info()
# A deployment's own wording comes first: any string of any catalogue can be
# overridden from LOCALE_OVERRIDE_DIR without forking (docs/languages.md).
# Dates, times and numbers for the languages Django has no formats for (consulta/formats).
FORMAT_MODULE_PATH = ["consulta.formats"]
LOCALE_OVERRIDE_DIR = env_str("LOCALE_OVERRIDE_DIR", "")
LOCALE_PATHS = [
    *([Path(LOCALE_OVERRIDE_DIR)] if LOCALE_OVERRIDE_DIR else []),
    BASE_DIR / "consulta" / "locale",
]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "consulta" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": env_str("STATICFILES_STORAGE", "consulta.core.storage.StaticStorage")},
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Consulta <no-reply@consulta.invalid>")

# --- The background worker (django-tasks, database backend) ---------------------------------
# Slow work (e-mail first) leaves the request: it is stored as a task row in the database and
# run by `manage.py worker` (started beside the server by `make run`; deploy/consulta-worker.service).
# TASKS_BACKEND=immediate runs each task at once in the process that enqueued it, for special
# cases only (a one-off script without a worker). See consulta/core/tasks.py.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# A task still marked running this long after it started belongs to a worker that died
# (kill -9, a lost machine): it is run again. Keep it above the longest task.
TASKS_RUNNING_TIMEOUT = env_int("TASKS_RUNNING_TIMEOUT", 600)
# Seconds an SMTP connection may wait (Django's default waits for ever and stalls the worker).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Attempts to send one e-mail, the first retry EMAIL_RETRY_SECONDS later, each further one twice as late.
EMAIL_SEND_ATTEMPTS = env_int("EMAIL_SEND_ATTEMPTS", 5)
EMAIL_RETRY_SECONDS = env_int("EMAIL_RETRY_SECONDS", 30)

# --- Alerts and the worker's schedule (consulta/alerts, consulta/core/schedule.py) -----------
# Seconds between two looks of each worker at new callers and waits past a clinic's escalation.
ALERT_POLL_SECONDS = float(env_str("ALERT_POLL_SECONDS", "2"))
# Text messages: "console" prints them (the demo), "http" posts them to a generic SMS gateway.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in ("console", "http"):
    raise ImproperlyConfigured(f"SMS_BACKEND must be console or http, not {SMS_BACKEND!r}.")
SMS_FROM = env_str("SMS_FROM", SITE_NAME)
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10)
if SMS_BACKEND == "http" and not SMS_GATEWAY_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL, the gateway's https:// address.")
# Attempts to send one text message, the first retry SMS_RETRY_SECONDS later, each further one twice as late.
SMS_SEND_ATTEMPTS = env_int("SMS_SEND_ATTEMPTS", 5)
SMS_RETRY_SECONDS = env_int("SMS_RETRY_SECONDS", 30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Calls and the waiting area. See docs/configuration.md.
STUN_URLS = env_list("STUN_URLS", "")
TURN_URLS = env_list("TURN_URLS", "")
TURN_SECRET = env_str("TURN_SECRET", "")
# Seconds a TURN credential is valid: long enough for a consultation, not a day of them.
TURN_CREDENTIAL_TTL = env_int("TURN_CREDENTIAL_TTL", 2 * 60 * 60)
# "relay": browsers use only TURN relay candidates (no direct path; hides addresses from the others).
CALL_ICE_TRANSPORT_POLICY = env_str("CALL_ICE_TRANSPORT_POLICY", "all")
if CALL_ICE_TRANSPORT_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured(f"CALL_ICE_TRANSPORT_POLICY must be all or relay, not {CALL_ICE_TRANSPORT_POLICY!r}.")
if CALL_ICE_TRANSPORT_POLICY == "relay" and not (TURN_URLS and TURN_SECRET):
    raise ImproperlyConfigured(
        "CALL_ICE_TRANSPORT_POLICY=relay needs TURN_URLS and TURN_SECRET: calls would never connect."
    )
# A patient whose connection drops keeps their place this long.
PATIENT_RECONNECT_GRACE_SECONDS = env_int("PATIENT_RECONNECT_GRACE_SECONDS", 120)
# Patients' heartbeats are written in one batch per worker this often (0: each at once).
PRESENCE_FLUSH_SECONDS = env_int("PRESENCE_FLUSH_SECONDS", 10)
# A call participant silent this long (no heartbeat) has left.
PARTICIPANT_TIMEOUT_SECONDS = env_int("PARTICIPANT_TIMEOUT_SECONDS", 75)
# Region for phone numbers given without a country code.
PHONE_REGION = env_str("PHONE_REGION", "SE")
# How long a link inviting someone into a running consultation's call stays valid.
CALL_INVITE_HOURS = env_int("CALL_INVITE_HOURS", 12)
# The largest file people may share in a call (browser to browser: never through the server).
CALL_FILE_MAX_MB = env_int("CALL_FILE_MAX_MB", 25)
# How long a one-click link (a known patient's details kept for their entry form) stays valid.
PREFILL_LINK_HOURS = env_int("PREFILL_LINK_HOURS", 72)

# --- Rate limits and client addresses (consulta/core/ratelimit.py, consulta/core/client.py) ---
# See docs/configuration.md. Each rule: RATE_LIMIT_<RULE> with one or more rates in the notation
# of the `limits` library ("10/10minutes", "20/minute;100/hour"); "0" or "" switches it off.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_DEFAULTS = {
    # A care home or hospital ward sends every patient from one NAT address: room for a busy
    # morning there, nowhere near the 1,500 fake patients in 10 s that one script managed.
    "patient_entry_address": "30/10minutes",
    # Every address together; the waiting area's size is capped by WAITING_AREA_MAX_CALLERS too.
    "patient_entry_clinic": "300/10minutes",
    # A call holds at most 6 people, a guest link is knocked on by a handful per meeting.
    "knock_link": "30/10minutes",
    "knock_address": "20/10minutes",
    # Every socket kind, from one address: reconnects of a whole ward's flaky Wi-Fi.
    "socket_connect_address": "120/minute",
    # Per socket: a 6-person call's ICE burst is ~100 signal messages in a second; twice that.
    "socket_messages": "200/10seconds",
    # Per socket: a person types a chat line every couple of seconds at most.
    "chat_messages": "30/minute",
    # A guest's or invitee's name, given once per call: each submission makes a session row.
    "name_form_address": "30/10minutes",
    "password_reset_address": "10/hour",
    "password_reset_account": "3/hour",
    # A clinic admin inviting a whole team in one sitting.
    "invitation_email_address": "60/hour",
    "invitation_email_account": "30/hour",
    # Alerts to one person about one clinic (new callers and long waits): a busy clinic's peak
    # hour is about 15 callers; a flood of fake ones must not become a flood of texts.
    "alert_person": "20/hour",
    # Pre-call bandwidth transfers (each upload or download request counts): one test run makes
    # at most about 20, so a person can re-run it a dozen times in 10 minutes.
    "precall_transfer_address": "240/10minutes",
    # Pre-call test pages: each hands out a short-lived TURN credential, which must not be
    # harvested in bulk to use the relay as a free proxy.
    "precall_page_address": "60/10minutes",
    # The entry page's check reports (one per check run, "Check again" included).
    "entry_check_address": "60/10minutes",
    # Two-factor codes (and recovery codes) typed at sign-in or enrolment: a six-digit code has
    # a million values, so a handful of tries per account, and more per address (a shared NAT).
    "mfa_code_account": "10/15minutes",
    "mfa_code_address": "30/15minutes",
    # Single sign-on starts (each one keeps a state in the session) and callbacks.
    "sso_address": "30/10minutes",
    # Requests of one API key: an appointment system polling and making links for a busy clinic.
    "api_key": "600/minute",
    # Requests with a missing or wrong API key, per address: a key is not guessed by trying.
    "api_bad_key_address": "30/10minutes",
    # The language picker: a person tries a few languages; a ward's patients share one address.
    "language_address": "60/10minutes",
}


def _rate_limits() -> dict[str, str]:
    from django.core.exceptions import ImproperlyConfigured
    from limits import parse_many

    rates = {rule: env_str(f"RATE_LIMIT_{rule.upper()}", default) for rule, default in RATE_LIMIT_DEFAULTS.items()}
    for rule, rate in rates.items():
        if rate.strip() not in {"", "0"}:
            try:
                parse_many(rate)
            except ValueError as error:
                raise ImproperlyConfigured(f"RATE_LIMIT_{rule.upper()}={rate!r} is not a rate: {error}") from error
    return rates


RATE_LIMITS = _rate_limits()
# Callers waiting (not yet finished) in one clinic's waiting area at most; 0: no cap.
WAITING_AREA_MAX_CALLERS = env_int("WAITING_AREA_MAX_CALLERS", 200)
# Proxies (IPs or CIDRs) whose X-Forwarded-For is believed: nginx on the same host is 127.0.0.1.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# --- Two-factor login (consulta/twofactor; docs/twofactor.md) ---------------------------------
# Minutes a sign-in may wait between the password (or single sign-on) and the second factor.
MFA_PENDING_MINUTES = env_int("MFA_PENDING_MINUTES", 10)
# The name authenticator apps show beside the account (the otpauth:// issuer).
OTP_TOTP_ISSUER = SITE_NAME
# django-otp's own back-off (1, 2, 4 ... s after each wrong code) off: the mfa_code_* rate limits
# above count every try, with one message that says when to try again.
OTP_TOTP_THROTTLE_FACTOR = 0

# --- Single sign-on (consulta/sso; docs/sso.md) -------------------------------------------------
# Seconds each request to an organisation's OpenID provider may take (discovery, keys, tokens).
SSO_HTTP_TIMEOUT = env_int("SSO_HTTP_TIMEOUT", 10)
# An issuer over plain http:// is refused unless this is on: for the tests' local provider only,
# never in production (the tokens and the client secret would cross the network in clear).
SSO_ALLOW_HTTP_ISSUERS = env_bool("SSO_ALLOW_HTTP_ISSUERS", False)

# --- REST API (consulta/api; docs/api.md) -------------------------------------------------------
# An API key's "last used" time is written at most this often (seconds): reads need not write.
API_KEY_LAST_USED_SECONDS = env_int("API_KEY_LAST_USED_SECONDS", 60)
# How far ahead a patient link made by API may expire, at most (days); the default is PREFILL_LINK_HOURS.
API_PATIENT_LINK_MAX_DAYS = env_int("API_PATIENT_LINK_MAX_DAYS", 30)

# --- Webhooks (consulta/webhooks; docs/webhooks.md) ---------------------------------------------
# Endpoints must be https; http only where this allows it (a test receiver, a closed network).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
# Networks (CIDRs, comma-separated) webhooks may go to although loopback or private: the SSRF guard
# (consulta/core/outbound.py) refuses every other such address. Empty: public addresses only.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", "")


def _check_networks(cidrs: list[str]) -> None:
    import ipaddress

    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {cidr!r} is not a network: {error}") from None


_check_networks(WEBHOOK_ALLOWED_NETWORKS)
# Seconds one POST may take in all (connect, send, answer) before it is a failed attempt.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# The first retry this many seconds after a failed attempt, each next one twice as late, capped.
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 10)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
# Attempts of one message in all; then it is given up and the next of its consultation goes.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
# An endpoint is disabled (its admins told) after this many messages given up in a row, or when
# no delivery has succeeded for this many hours.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10)
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 24)
# Seconds between two looks of each worker at new events and due messages; posts at once, at most.
WEBHOOK_POLL_SECONDS = float(env_str("WEBHOOK_POLL_SECONDS", "2"))
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 4)
# Days the delivery log (messages and their attempts) is kept.
WEBHOOK_LOG_DAYS = env_int("WEBHOOK_LOG_DAYS", 30)
