"""The errors the recognition pipeline raises for bad input; each message is meant for the client."""


class InputError(ValueError):
    """The input cannot be read as an image; the message says why, for the client."""


class EmptyDrawingError(InputError):
    """The image holds no drawing."""


class TooManyDigitsError(InputError):
    """The drawing holds more marks or digits than a number may have."""
