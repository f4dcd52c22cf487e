"""CaseConsultant: an instant email coding consultant for medical coders and billers."""

__version__ = "0.1.0"
