"""phonenumbers: only the region metadata the app uses.

Replaces the contributed hook, which collects every submodule, the geocoder and carrier tables
included (~40 MB). The region tables are imported by name at run time, hence hidden imports.
"""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("phonenumbers.data") + collect_submodules(
    "phonenumbers.shortdata"
)
