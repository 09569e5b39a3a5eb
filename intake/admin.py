from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from intake.models import Branding, SupportResource

LOGO_TYPES = {"image/png", "image/jpeg"}  # no SVG: it can carry script


class BrandingForm(forms.ModelForm):  # type: ignore[type-arg]
    logo_file = forms.FileField(required=False, label="Logo (PNG or JPEG, up to 200 KB)")

    class Meta:
        model = Branding
        fields = (
            "organisation_name",
            "organisation_name_cy",
            "welcome",
            "welcome_cy",
            "colour",
            "corporate_networks",
        )

    def clean_logo_file(self) -> object:
        upload = self.cleaned_data.get("logo_file")
        if upload is not None:
            if upload.size > 200_000:
                raise forms.ValidationError("The logo must be 200 KB or smaller.")
            if upload.content_type not in LOGO_TYPES:
                raise forms.ValidationError("The logo must be a PNG or JPEG file.")
        return upload

    def save(self, commit: bool = True) -> Branding:
        branding: Branding = super().save(commit=False)
        upload = self.cleaned_data.get("logo_file")
        if upload is not None:
            branding.logo = upload.read()
            branding.logo_type = upload.content_type
        if commit:
            branding.save()
        return branding


@admin.register(Branding)
class BrandingAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    form = BrandingForm

    def has_add_permission(self, request: object) -> bool:
        return not Branding.objects.exists()


@admin.register(SupportResource)
class SupportResourceAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ("title", "phone", "is_active", "position")
    filter_horizontal = ("categories",)
