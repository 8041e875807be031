"""Compiles the message catalogues (bot/locales/*/LC_MESSAGES/*.po) into .mo files when the
package is built or installed; everything else about the package is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        # An editable install reads the package from the checkout: compile there.
        root = Path() if getattr(self, "editable_mode", False) else Path(self.build_lib)
        for po in sorted(Path("bot/locales").glob("*/LC_MESSAGES/*.po")):
            mo = root / po.with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source, locale=po.parts[2]))


setup(cmdclass={"build_py": BuildWithCatalogues})
