"""Console: the bytes of one stored media object, for the trace page's <img>, <audio> and links."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control

from apps.core.errors import NotFound
from apps.core.views import ConsoleView
from apps.media.references import media_kind
from apps.media.services import media_get


class MediaContentView(ConsoleView):
    """Redirect to a signed, expiring URL of an uploaded, allow-listed media object of the project."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str, media_id: str) -> HttpResponse:
        media, signed = media_get(access=self.access, media_id=media_id)  # another project's id: NotFound
        if media_kind(media.content_type) is None:
            raise NotFound(f"Media {media_id} is of a type the console does not serve")
        response = HttpResponseRedirect(signed.url)
        # The browser may reuse the redirect for a while, never past the signed URL's life.
        patch_cache_control(response, private=True, max_age=min(300, int(signed.expires_in.total_seconds() // 2)))
        return response
