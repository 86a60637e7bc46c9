"""Sign-up, login (rate-limited), logout, password change and language preference."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from apps.accounts.forms import LoginForm, SignupForm
from apps.core.views import ConsoleView

User = get_user_model()


def _login_limited(request: HttpRequest) -> bool:
    """Count POSTs per client IP and per e-mail; either over the limit blocks the attempt."""
    rate = settings.LOGIN_RATE_LIMIT
    by_ip = is_ratelimited(request, group="login-ip", key="ip", rate=rate, method="POST", increment=True)
    by_user = is_ratelimited(
        request,
        group="login-user",
        key=lambda g, r: (r.POST.get("username") or "").lower(),
        rate=rate,
        method="POST",
        increment=True,
    )
    return by_ip or by_user


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _login_limited(request):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many sign-in attempts. Wait a minute and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["signup_enabled"] = settings.LANGOPS_SIGNUP_ENABLED
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): ends the session and forgets the session key."""


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.LANGOPS_SIGNUP_ENABLED:
        return render(request, "accounts/signup_closed.html", status=403)
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            form.cleaned_data["email"], form.cleaned_data["password"], name=form.cleaned_data["name"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        next_url = request.GET.get("next") or ""
        # Django's own check (also refuses "/\\evil.com", which browsers read as another host).
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
            return redirect(next_url)
        return redirect("organizations:create")
    return render(request, "accounts/signup.html", {"form": form})


class PasswordChangeView(ConsoleView):
    level = "user"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/password.html", {"form": PasswordChangeForm(request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeForm(request.user, request.POST)
        if form.is_valid():
            user = form.save()
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:password")
        return render(request, "accounts/password.html", {"form": form}, status=400)
