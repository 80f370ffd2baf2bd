"""Two-factor login: the code at sign-in, setting up the authenticator, the person's security
page, and an organisation admin's reset for a person who lost their device."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from consulta.accounts.models import User
from consulta.organisations.access import organisation_access
from consulta.twofactor import actions, codes, flow
from consulta.twofactor.forms import CodeForm, CurrentCodeForm, RecoveryCodeForm, ReplaceForm


def _start_again(request: HttpRequest) -> HttpResponse:
    """No sign-in waits for a code (none began, it was cancelled, or it took too long)."""
    if request.user.is_authenticated:
        return redirect("core:home")
    messages.info(request, _("Your sign-in was not finished in time. Please log in again."))
    return redirect("accounts:login")


def _wrong_code(form: CodeForm) -> None:
    form.add_error("code", _("That code is not right, or it was used already. Wait for the next code and try again."))


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the app's code, or one of the recovery codes."""
    signing_in = flow.pending(request)
    if signing_in is None:
        return _start_again(request)
    user = signing_in.user
    device = actions.confirmed_device(user)
    if device is None:  # reset by an admin since the password was given
        if actions.must_have_second_factor(user):
            return redirect("twofactor:setup")
        return redirect(flow.finish(request, signing_in))
    with_recovery = request.GET.get("with") == "recovery"
    form_class = RecoveryCodeForm if with_recovery else CodeForm
    form = form_class(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if not with_recovery and actions.check_totp(device, code):
            return redirect(flow.finish(request, signing_in))
        left = actions.use_recovery_code(user, code) if with_recovery else None
        if left is not None:
            next_url = flow.finish(request, signing_in)
            messages.warning(request, _recovery_code_used(left))
            return redirect(next_url)
        if with_recovery:
            form.add_error("code", _("That is not one of your unused recovery codes."))
        else:
            _wrong_code(form)
    context = {"form": form, "with_recovery": with_recovery, "signing_in": signing_in}
    return render(request, "twofactor/verify.html", context, status=form.status)


def _recovery_code_used(left: int) -> str:
    return ngettext(
        "You signed in with a recovery code. %(count)d recovery code is left: if your phone is lost, "
        "set up the app again under Sign-in and security.",
        "You signed in with a recovery code. %(count)d recovery codes are left: if your phone is lost, "
        "set up the app again under Sign-in and security.",
        left,
    ) % {"count": left}


@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    flow.cancel(request)
    return redirect("accounts:login")


def _setup_page(device: TOTPDevice) -> dict[str, Any]:
    """The QR code (an SVG data: URI, which the CSP's img-src allows) and the secret for typing."""
    url = device.config_url
    secret = b32encode(device.bin_key).decode()
    return {
        "qr": segno.make(url, error="m").svg_data_uri(scale=5, border=4),
        "secret": codes.grouped(secret),
        "otpauth_url": url,
    }


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: logged in, or while signing in when it is required."""
    signing_in = None if request.user.is_authenticated else flow.pending(request)
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        user = request.user
    elif signing_in is not None:
        user = signing_in.user
    else:
        return _start_again(request)
    current = actions.confirmed_device(user)
    if current is not None and signing_in is not None:
        return redirect("twofactor:verify")  # a password alone never adds a second device
    device = actions.unconfirmed_device(user)
    # Logged in with an app already: a new phone, confirmed by the current app's code too.
    form = (ReplaceForm if current else CodeForm)(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        if current is not None and not _current_code_right(user, current, form.cleaned_data["current"]):
            form.add_error("current", _("That code is not right, or it was used already."))
        elif actions.check_totp(device, form.cleaned_data["code"]):
            made = actions.enrol(user, device)  # the old app, if any, stops working now
            next_url = flow.finish(request, signing_in) if signing_in else reverse("twofactor:security")
            return _show_recovery_codes(request, made, next_url, enrolled=True)
        else:
            _wrong_code(form)
    context = {
        "form": form,
        "replacing": current is not None,
        "signing_in": signing_in,
        "required_by": actions.requiring_organisations(user),
        "email": user.email,
        **_setup_page(device),
    }
    return render(request, "twofactor/setup.html", context, status=form.status)


def _show_recovery_codes(request: HttpRequest, made: list[str], next_url: str, *, enrolled: bool) -> HttpResponse:
    """The codes, once: only their digests are kept."""
    context = {"codes": made, "next_url": next_url, "enrolled": enrolled}
    return render(request, "twofactor/recovery_codes.html", context)


def _security_page(request: HttpRequest, user: User, status: int = 200, **forms: CurrentCodeForm) -> HttpResponse:
    device = actions.confirmed_device(user)
    context = {
        "device": device,
        "codes_left": actions.recovery_codes_left(user),
        "removal_refused": actions.removal_refused(user),
        "required_by": actions.requiring_organisations(user),
        "remove_form": forms.get("remove_form") or CurrentCodeForm(prefix="remove", user=user, request=request),
        "codes_form": forms.get("codes_form") or CurrentCodeForm(prefix="codes", user=user, request=request),
    }
    return render(request, "twofactor/security.html", context, status=status)


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request, _me(request))


def _current_code_right(user: User, device: TOTPDevice, code: str) -> bool:
    if codes.looks_like_totp(code):
        return actions.check_totp(device, code)
    return actions.use_recovery_code(user, code) is not None


def _confirmed_change(request: HttpRequest, prefix: str) -> tuple[User, CurrentCodeForm | None, bool]:
    """The security page's form `prefix`, checked: (person, form, whether the code was right).
    No form when the person has no authenticator (nothing to confirm with)."""
    user = _me(request)
    device = actions.confirmed_device(user)
    if device is None:
        return user, None, False
    form = CurrentCodeForm(request.POST, prefix=prefix, user=user, request=request)
    if not form.is_valid():
        return user, form, False
    if _current_code_right(user, device, form.cleaned_data["code"]):
        return user, form, True
    form.add_error("code", _("That code is not right, or it was used already."))
    return user, form, False


@login_required
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator (and the recovery codes): asks for a current code."""
    user = _me(request)
    reason = actions.removal_refused(user)
    if reason:
        messages.error(request, _("Two-factor login cannot be removed: %(reason)s") % {"reason": reason})
        return _security_page(request, user, status=403)
    user, form, right = _confirmed_change(request, "remove")
    if form is None:
        messages.info(request, _("Two-factor login is not set up: there is nothing to remove."))
        return redirect("twofactor:security")
    if not right:
        return _security_page(request, user, status=form.status, remove_form=form)
    try:
        actions.remove(user)
    except actions.ActionError as error:  # an organisation began requiring it meanwhile
        messages.error(request, str(error))
        return _security_page(request, user, status=403)
    messages.success(request, _("Two-factor login removed. You sign in with your password only."))
    return redirect("twofactor:security")


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working): asks for a current code."""
    user, form, right = _confirmed_change(request, "codes")
    if form is None:
        messages.info(request, _("Set up an authenticator app first: recovery codes come with it."))
        return redirect("twofactor:security")
    if not right:
        return _security_page(request, user, status=form.status, codes_form=form)
    made = actions.make_recovery_codes(user)
    return _show_recovery_codes(request, made, reverse("twofactor:security"), enrolled=False)


@login_required
@require_http_methods(["GET", "POST"])
def admin_reset(request: HttpRequest, org_slug: str, user_id: int) -> HttpResponse:
    """An organisation admin resets the second factor of a person who lost their device."""
    standing = organisation_access(request.user, org_slug).require("can_see_people")
    organisation = standing.organisation
    in_organisation = Q(organisation_memberships__organisation=organisation) | Q(
        clinic_memberships__clinic__organisation=organisation
    )
    person = User.objects.filter(in_organisation, pk=user_id).distinct().first()
    if person is None:
        raise Http404
    if request.method == "POST":
        actions.reset(person, organisation, by=_me(request))
        messages.success(
            request,
            _("Two-factor login of %(person)s reset: their authenticator app and recovery codes no longer work.")
            % {"person": person.display_name},
        )
        return redirect("organisations:people", org_slug=organisation.slug)
    context = {
        "standing": standing,
        "organisation": organisation,
        "person": person,
        "device": actions.confirmed_device(person),
        "codes_left": actions.recovery_codes_left(person),
        "required": organisation.require_mfa,
    }
    return render(request, "twofactor/admin_reset.html", context)
