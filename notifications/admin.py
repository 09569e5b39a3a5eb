"""Nothing of this app is in the administration site: reminder policies are changed on the
settings pages (/staff/settings/, ``notifications.settings_subjects``), where a change that
lets a deadline slip by more quietly waits for a second administrator; notifications and
reminder claims are not configuration."""
