"""Nothing of the reporter side is edited in the administration site: the branding, the
network ranges, support resources and campaigns are changed on the settings pages
(/staff/settings/, the ``administration`` app), each change audited, with a preview of the
start page before new branding is saved and a logo checked for what it is (PNG or JPEG)."""
