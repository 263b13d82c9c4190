"""The national interface door (定点医药机构接口规范): envelope, infno dispatch, field mapping. No rules."""
