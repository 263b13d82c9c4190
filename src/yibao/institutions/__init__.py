"""Designated institutions (定点医药机构), doctors and the medical-insurance catalogue."""
