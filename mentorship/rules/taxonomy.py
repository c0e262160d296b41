"""The versioned taxonomy of digital-skills challenge areas, and the languages we match on."""

from __future__ import annotations

from mentorship.i18n import N_  # labels are translated where they are shown

TAXONOMY_VERSION = "2026.1"

CHALLENGE_AREAS: dict[str, str] = {
    "digital_marketing": N_("Digital marketing and online visibility"),
    "website_seo_social": N_("Website, SEO and social media"),
    "cms": N_("Content management systems"),
    "crm": N_("Customer relationship management"),
    "e_commerce": N_("E-commerce"),
    "cloud": N_("Cloud adoption"),
    "cybersecurity": N_("Cybersecurity"),
    "data_analytics": N_("Data and analytics"),
    "ai_adoption": N_("AI adoption"),
    "erp_automation": N_("ERP and process automation"),
    "e_invoicing": N_("E-invoicing"),
    "remote_work": N_("Remote work tools"),
    "digital_strategy": N_("Digital strategy"),
}

# The EU's official languages, by ISO 639-1 code.
LANGUAGES: dict[str, str] = {
    "bg": "Bulgarian",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "hr": "Croatian",
    "hu": "Hungarian",
    "it": "Italian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mt": "Maltese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sv": "Swedish",
}

EU_COUNTRIES = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]
