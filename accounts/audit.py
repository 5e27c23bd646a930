"""Staff views of patients' records, logged (who, when, what).

An admin for a model holding patients' records mixes in `AccessLoggedAdmin` and
names the field that points at the patient; every change list and change page a
member of staff opens then writes AccessLog rows, one per patient shown. The log
itself is for superusers only (accounts.admin.AccessLogAdmin)."""

from django.http import HttpRequest, HttpResponse

from .models import AccessLog


def log_access(request: HttpRequest, action: str, record: str, rows) -> None:
    """Log that the requesting member of staff saw `record` rows: each row a
    (record id or None, patient id). Admin pages of their own (the front desk)
    call it as the mixin below does."""
    path = request.get_full_path()[:500]
    AccessLog.objects.bulk_create(
        AccessLog(
            actor=request.user,
            patient_id=patient_id,
            action=action,
            record=record,
            record_id=str(record_id or ""),
            path=path,
        )
        for record_id, patient_id in rows
    )


class AccessLoggedAdmin:
    """Mix into a ModelAdmin before admin.ModelAdmin; set `audit_patient_field`."""

    audit_patient_field = "patient"

    def _log(self, request: HttpRequest, action: str, rows: list[tuple]) -> None:
        log_access(request, action, self.model._meta.label_lower, rows)

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and changelist is not None:
            field = f"{self.audit_patient_field}_id"
            patients = {getattr(row, field) for row in changelist.result_list}
            self._log(request, AccessLog.Action.LIST, [(None, p) for p in patients])
        return response

    def change_view(
        self, request: HttpRequest, object_id, form_url="", extra_context=None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            patient_id = (
                self.model._default_manager.filter(pk=object_id)
                .values_list(f"{self.audit_patient_field}_id", flat=True)
                .first()
            )
            self._log(request, AccessLog.Action.VIEW, [(object_id, patient_id)])
        return response
