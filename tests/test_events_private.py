"""The cheap private-attribute set-up of Event and Case (events._none_private) must name every
private attribute the models declare, all of whose defaults are None: otherwise a new private
attribute would silently be missing on every instance."""

from mph_rules.events import Case, Event


def test_the_private_setup_covers_every_private_attribute() -> None:
    for model, names in ((Event, {"_parsed", "_moment"}), (Case, {"_checked"})):
        private = model.__private_attributes__
        assert set(private) == names, (model.__name__, sorted(private))
        assert all(a.default is None and a.default_factory is None for a in private.values())
