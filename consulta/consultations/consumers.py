"""The waiting area's sockets: the patient's own, the dashboard's queue, the team's call.

Each socket joins only groups that hold what its person may see: a patient
their own `patient.<id>` group, a dashboard its clinic's `queue.<id>` group.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from consulta.calls.consumers import CallSocket
from consulta.calls.json_socket import JsonSocket
from consulta.calls.messages import BadMessage, CallerCard, Message, OutQueueSnapshot, Subscribe
from consulta.consultations import actions, presence, queries
from consulta.consultations.models import Consultation, Status
from consulta.organisations import access

# How often one dashboard may trigger the sweep of callers whose grace ran out.
SWEEP_EVERY_SECONDS = 20


class PatientSocket(CallSocket):
    """`/ws/patient/<token>/`: one patient's status, notices and call."""

    consultation_id: int

    async def open(self) -> None:
        consultation = await database_sync_to_async(access.patient_consultation)(self.token)
        if consultation is None:
            raise Http404
        self.consultation_id = consultation.pk
        self.language = consultation.language  # the consultation's, as its pages (patient_views.space)
        await self.channel_layer.group_add(actions.events.patient_group(consultation.pk), self.channel_name)
        await self.accept()
        status = await database_sync_to_async(self._arrive)()
        if status is not None:
            await self.send_message(status)

    def _arrive(self) -> Message | None:
        # One trip to the database thread, not two: thousands reconnect at once after a worker dies.
        actions.patient_presence(self.consultation_id, connected=True)
        consultation = self._consultation()
        return actions.patient_status(consultation) if consultation else None

    @property
    def token(self) -> str:
        return str(self.scope["url_route"]["kwargs"]["token"])

    def authorise(self) -> None:
        # The token is the patient's key: it opens nothing once the space is gone.
        if access.patient_consultation(self.token) is None:
            raise Http404

    def _consultation(self) -> Consultation | None:
        return Consultation.objects.select_related("clinic__waiting_area").filter(pk=self.consultation_id).first()

    def call_identity(self) -> dict[str, Any]:
        consultation = self._consultation()
        if consultation is None or consultation.status != Status.IN_CALL:
            raise BadMessage("not_in_call", _("Your clinician has not started the call yet."))
        return {
            "key": consultation.call_key,
            "role": "patient",
            "name": consultation.name,
            "principal": f"consultation:{consultation.pk}",
            "consultation_id": consultation.pk,
        }

    async def heartbeat(self) -> None:
        await super().heartbeat()
        await presence.heartbeat(self.consultation_id)

    async def deliver(self, event: dict[str, Any]) -> None:
        await super().deliver(event)
        if event.get("kind") == "status" and event.get("state") in ("ended", "left"):
            # The space is gone: nothing more will come, and the token admits no one.
            await self.close(1000)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if hasattr(self, "consultation_id"):
            await self.channel_layer.group_discard(
                actions.events.patient_group(self.consultation_id), self.channel_name
            )
            presence.forget(self.consultation_id)
            await database_sync_to_async(actions.patient_presence)(self.consultation_id, connected=False)


class QueueSocket(JsonSocket):
    """`/ws/clinic/<slug>/queue/`: the live queue for the clinic's team."""

    allowed = frozenset({"heartbeat", "subscribe"})
    # `subscribe` is privileged too: it checks access in the same trip as its snapshot (`_snapshot`).
    clinic_id: int
    group: str | None = None
    last_sweep = 0.0

    async def open(self) -> None:
        standing = await database_sync_to_async(access.clinic_access)(self.scope["user"], self.slug, "can_enter")
        self.clinic_id = standing.clinic.pk
        await self.accept()

    @property
    def slug(self) -> str:
        return str(self.scope["url_route"]["kwargs"]["slug"])

    def authorise(self) -> None:
        access.clinic_access(self.person(), self.slug, "can_enter")

    async def handle(self, message: Message) -> None:
        if isinstance(message, Subscribe):
            await self.subscribe()
        else:
            await super().handle(message)

    async def subscribe(self) -> None:
        # Join the group first, then read: whatever changes meanwhile arrives
        # as an event after the snapshot, and versions make it idempotent. (The events
        # wait in the channel until this handler returns: a socket refused below hears none.)
        if self.group is None:
            self.group = actions.events.queue_group(self.clinic_id)
            await self.channel_layer.group_add(self.group, self.channel_name)
        try:
            callers = await database_sync_to_async(self._snapshot)(self.sweep_due())
        except (Http404, PermissionDenied):
            await self.revoke()
            return
        await self.send_message(OutQueueSnapshot(callers=callers))

    def _snapshot(self, sweep: bool) -> list[CallerCard]:
        """One trip to the database thread: the access check (`subscribe` is privileged), the sweep, the queue."""
        self.last_access_check = time.monotonic()
        self.authorise()
        if sweep:
            actions.expire_stale(self.clinic_id)
        return queries.queue_cards(self.clinic_id)

    async def heartbeat(self) -> None:
        if self.sweep_due():
            await database_sync_to_async(actions.expire_stale)(self.clinic_id)

    def sweep_due(self) -> bool:
        """Whether this dashboard should sweep out callers whose grace ran out (at most every 20 s)."""
        now = time.monotonic()
        if now - self.last_sweep < SWEEP_EVERY_SECONDS:
            return False
        self.last_sweep = now
        return True

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)


class TeamCallSocket(CallSocket):
    """`/ws/consultations/<id>/call/`: a team member's part in a consultation's call."""

    can_manage = True
    consultation_id: int
    clinic_slug: str

    async def open(self) -> None:
        consultation_id = int(self.scope["url_route"]["kwargs"]["consultation_id"])
        consultation, standing = await database_sync_to_async(access.consultation_for)(
            self.scope["user"], consultation_id
        )
        self.consultation_id, self.clinic_slug = consultation.pk, standing.clinic.slug
        await self.accept()

    def authorise(self) -> None:
        try:
            access.consultation_for(self.person(), self.consultation_id)
        except Http404:
            # The consultation may have ended (joining then says so); the person must still be of the clinic.
            if Consultation.objects.filter(pk=self.consultation_id).exists():
                raise
            access.clinic_access(self.person(), self.clinic_slug, "can_enter")

    def answer_caller(self) -> None:
        # The dashboard's Join, in the join's own trip: `authorise` has just checked the access.
        consultation = Consultation.objects.filter(pk=self.consultation_id).first()
        if consultation is None:
            raise BadMessage("ended", _("This consultation has ended."))
        actions.join(consultation, self.scope["user"])

    def call_identity(self) -> dict[str, Any]:
        consultation = Consultation.objects.filter(pk=self.consultation_id).first()
        if consultation is None:
            raise BadMessage("ended", _("This consultation has ended."))
        user = self.scope["user"]
        return {
            "key": consultation.call_key,
            "role": "staff",
            "name": user.display_name,
            "principal": f"user:{user.pk}",
            "user_id": user.pk,
        }

    async def hold_patient(self, consultation_id: int) -> None:
        # The same action, and the same access check, as the dashboard's "Put on hold".
        def hold() -> None:
            consultation, _standing = access.consultation_for(self.scope["user"], consultation_id)
            actions.hold(consultation)

        try:
            await database_sync_to_async(hold)()
        except Http404:
            raise BadMessage("no_such_peer", _("That caller is no longer in the call.")) from None


class InviteeSocket(CallSocket):
    """`/ws/invites/<token>/`: an invited interpreter or relative, in the call under the name they gave."""

    token: str
    name: str

    @property
    def name_key(self) -> str:
        """Where the invitation page keeps the name this browser gave (see patient_views.join_by_invite)."""
        return f"invite:{self.token}"

    async def open(self) -> None:
        self.token = self.scope["url_route"]["kwargs"]["token"]
        await database_sync_to_async(access.call_invite)(self.token)
        name = self.scope["session"].get(self.name_key)
        if not name:
            raise Http404  # the name comes first, on the invitation page
        self.name = name
        await self.accept()

    def authorise(self) -> None:
        access.call_invite(self.token)

    def call_identity(self) -> dict[str, Any]:
        try:
            invite = access.call_invite(self.token)
        except Http404:
            raise BadMessage("ended", _("This invitation is no longer valid.")) from None
        return {
            "key": invite.consultation.call_key,
            "role": "guest",
            "name": self.name,
            # The browser session that gave the name: another invitee with the same link is another principal.
            "principal": f"invite:{invite.pk}:{self.scope['session'].session_key}",
        }

    async def deliver(self, event: dict[str, Any]) -> None:
        await super().deliver(event)
        if event.get("kind") in ("call_ended", "removed"):
            await self.forget_name()

    async def leave_call(self) -> None:
        await super().leave_call()
        await self.forget_name()

    async def forget_name(self) -> None:
        await self.forget_in_session(self.name_key)
