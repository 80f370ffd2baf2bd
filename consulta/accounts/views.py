from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consulta.accounts.forms import InvitationSignupForm, LoginForm
from consulta.accounts.models import User
from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.core.people import person
from consulta.organisations import actions
from consulta.organisations.models import Invitation
from consulta.twofactor.flow import complete_sign_in


class LoginView(auth_views.LoginView):
    """Django's login view (django-axes wraps its `authenticate`), up to the password; from there
    the sign-in goes on through `complete_sign_in`, which asks for the second factor if any."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        return complete_sign_in(self.request, user, via="password", next_url=self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, throttled per client address and per account (the e-mail typed).

    The account limit counts the address typed whether or not an account has it, so a
    refusal tells nothing about which addresses have accounts."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        refused = ratelimit.hit("password_reset_address", client_address(self.request)) or ratelimit.hit(
            "password_reset_account", email
        )
        if refused is None:
            return super().form_valid(form)
        form.add_error(None, ratelimit.retry_message(refused))  # the form keeps the e-mail typed
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response


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

    if User.objects.filter(email__iexact=offer.email).exists():
        # An account of their own already: log in (the link brings them back here), then accept.
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
            messages.success(request, _("Welcome to %(place)s.") % {"place": context["place"]})
            # Through the one sign-in path: an organisation that requires a second factor asks for it now.
            return complete_sign_in(request, new_user, via="password", next_url=reverse("core:home"))
    context["form"] = form
    return render(request, "accounts/invitation_signup.html", context)
