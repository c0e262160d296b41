"""The versioned taxonomy of digital-skills challenge areas, and the languages we match on."""

from __future__ import annotations

TAXONOMY_VERSION = "2026.1"

CHALLENGE_AREAS: dict[str, str] = {
    "digital_marketing": "Digital marketing and online visibility",
    "website_seo_social": "Website, SEO and social media",
    "cms": "Content management systems",
    "crm": "Customer relationship management",
    "e_commerce": "E-commerce",
    "cloud": "Cloud adoption",
    "cybersecurity": "Cybersecurity",
    "data_analytics": "Data and analytics",
    "ai_adoption": "AI adoption",
    "erp_automation": "ERP and process automation",
    "e_invoicing": "E-invoicing",
    "remote_work": "Remote work tools",
    "digital_strategy": "Digital strategy",
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
