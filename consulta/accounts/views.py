from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consulta.accounts.forms import InvitationSignupForm
from consulta.core.people import person
from consulta.organisations import actions
from consulta.organisations.models import Invitation

BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: sign up, or take the role with the account you are logged in with."""
    offer = Invitation.objects.select_related("organisation", "clinic").filter(token=token).first()
    if offer is None:
        raise Http404
    context: dict[str, object] = {"invitation": offer, "place": offer.clinic or offer.organisation}
    if not offer.is_pending:
        return render(request, "accounts/invitation_invalid.html", context, status=410)

    user = request.user if request.user.is_authenticated else None
    if user is not None:
        if user.email.lower() != offer.email.lower():
            return render(request, "accounts/invitation_other_account.html", context, status=403)
        if request.method == "POST":
            actions.accept_invitation(offer, person(request))
            messages.success(request, _("Welcome to %(place)s.") % {"place": context["place"]})
            return redirect("core:home")
        return render(request, "accounts/invitation_accept.html", context)

    from consulta.accounts.models import User

    if User.objects.filter(email__iexact=offer.email).exists():
        # The account was made after the invitation was sent: log in, then accept.
        return render(request, "accounts/invitation_login.html", context)

    form = InvitationSignupForm(request.POST or None, email=offer.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = actions.create_account_from_invitation(
                offer,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except actions.ActionError as error:
            form.add_error(None, str(error))
        else:
            login(request, new_user, backend=BACKEND)
            messages.success(request, _("Welcome to %(place)s.") % {"place": context["place"]})
            return redirect("core:home")
    context["form"] = form
    return render(request, "accounts/invitation_signup.html", context)
