"""Docstring parsing: Google, NumPy and reST styles, and how they reach a tool's schema."""

import pytest

from agno_nb.tools import Function
from agno_nb.tools.docstrings import parse_docstring

# ------------------------------------------------------------------------------------------ Google

GOOGLE = '''Search the document index.

    Looks things up in the index,
    ranking by relevance.

    Args:
        query (str): The text to search
            for, in any language.
        limit (int, optional): Max results. Defaults to 10.
        mode: One of: fast, slow.
        **filters: Extra field filters.

    Returns:
        list: matching documents.
        count: not a parameter.

    Raises:
        ValueError: if query is empty.
    '''


def test_google_description_keeps_all_lines_before_args():
    doc = parse_docstring(GOOGLE)
    assert doc.description == "Search the document index.\n\nLooks things up in the index,\nranking by relevance."


def test_google_params_types_in_parentheses_are_not_part_of_the_description():
    doc = parse_docstring(GOOGLE)
    assert doc.params["limit"] == "Max results. Defaults to 10."
    assert "(int" not in doc.params["limit"]


def test_google_multiline_param_description_is_joined():
    assert parse_docstring(GOOGLE).params["query"] == "The text to search for, in any language."


def test_google_colon_inside_description_does_not_start_a_new_param():
    assert parse_docstring(GOOGLE).params["mode"] == "One of: fast, slow."


def test_google_star_args_name_is_stripped():
    assert parse_docstring(GOOGLE).params["filters"] == "Extra field filters."


def test_google_returns_and_raises_sections_are_not_params():
    doc = parse_docstring(GOOGLE)
    assert set(doc.params) == {"query", "limit", "mode", "filters"}
    assert "ValueError" not in doc.params and "count" not in doc.params and "list" not in doc.params
    assert "matching documents" not in doc.description
    assert "if query is empty" not in doc.description


def test_google_description_on_the_line_after_the_name():
    doc = parse_docstring('''Summary.

    Args:
        city:
            The city name,
            in English.
        days (int): How many days.
    ''')
    assert doc.params == {"city": "The city name, in English.", "days": "How many days."}


def test_google_section_headers_are_case_insensitive_and_accept_aliases():
    doc = parse_docstring('''Summary.

    arguments:
        a: first.
    RETURNS:
        int: the sum.
    ''')
    assert doc.params == {"a": "first."}
    assert doc.description == "Summary."


def test_google_sections_after_args_end_the_args():
    doc = parse_docstring('''Summary.

    Args:
        a: first.

    Yields:
        int: numbers.

    Note:
        careful: hot.
    ''')
    assert doc.params == {"a": "first."}


def test_google_unindented_args_block():
    doc = parse_docstring("Summary.\n\nArgs:\n  a: first\n  b: second\n")
    assert doc.params == {"a": "first", "b": "second"}


def test_google_keyword_args_section():
    doc = parse_docstring('''Summary.

    Args:
        a: first.

    Keyword Args:
        b: second.
    ''')
    assert doc.params == {"a": "first.", "b": "second."}


def test_google_type_with_nested_parentheses():
    doc = parse_docstring('''Summary.

    Args:
        point (tuple(int, int)): A point.
        b: second.
    ''')
    assert doc.params == {"point": "A point.", "b": "second."}


# ------------------------------------------------------------------------------------------- NumPy

NUMPY = '''Search the document index.

    Looks things up in the index.

    Parameters
    ----------
    query : str
        The text to search
        for.
    limit : int, optional
        Max results.
    flag
        No type here.

    Returns
    -------
    list
        matching documents.

    Raises
    ------
    ValueError
        if query is empty.
    '''


def test_numpy_description():
    assert parse_docstring(NUMPY).description == "Search the document index.\n\nLooks things up in the index."


def test_numpy_params_multiline_and_typeless():
    doc = parse_docstring(NUMPY)
    assert doc.params == {"query": "The text to search for.", "limit": "Max results.", "flag": "No type here."}


def test_numpy_returns_and_raises_are_not_params():
    doc = parse_docstring(NUMPY)
    assert "list" not in doc.params and "ValueError" not in doc.params
    assert "matching documents" not in doc.description


def test_numpy_other_parameters_section_is_read():
    doc = parse_docstring('''Summary.

    Parameters
    ----------
    a : int
        first.

    Other Parameters
    ----------------
    b : int
        second.
    ''')
    assert doc.params == {"a": "first.", "b": "second."}


def test_numpy_combined_parameters():
    doc = parse_docstring('''Summary.

    Parameters
    ----------
    x, y : int
        Coordinates.
    ''')
    assert doc.params == {"x": "Coordinates.", "y": "Coordinates."}


# -------------------------------------------------------------------------------------------- reST

REST = '''Search the document index.

    Longer text here.

    :param query: The text to search
        for.
    :type query: str
    :param int limit: Max results.
    :param dict[str, int] weights: Field weights.
    :returns: matching documents.
    :rtype: list
    :raises ValueError: if query is empty.
    '''


def test_rest_description():
    assert parse_docstring(REST).description == "Search the document index.\n\nLonger text here."


def test_rest_params_with_and_without_inline_type():
    doc = parse_docstring(REST)
    assert doc.params == {"query": "The text to search for.", "limit": "Max results.",
                          "weights": "Field weights."}


def test_rest_returns_raises_and_type_fields_are_not_params():
    doc = parse_docstring(REST)
    assert "matching documents" not in " ".join(doc.params.values())
    assert "ValueError" not in doc.params and "rtype" not in doc.params
    assert ":returns:" not in doc.description


def test_rest_alternative_field_names():
    doc = parse_docstring('''Summary.

    :arg a: first.
    :keyword b: second.
    ''')
    assert doc.params == {"a": "first.", "b": "second."}


def test_rest_without_params_keeps_fields_out_of_description():
    doc = parse_docstring('''Return the current time.

    :returns: ISO timestamp.
    :raises RuntimeError: if the clock is unset.
    ''')
    assert doc.description == "Return the current time."


# --------------------------------------------------------------------------------- degenerate input


@pytest.mark.parametrize("doc", [None, ""])
def test_no_docstring(doc):
    parsed = parse_docstring(doc)
    assert parsed.description == "" and parsed.params == {}


def test_summary_only():
    parsed = parse_docstring("   Get the weather.   ")
    assert parsed.description == "Get the weather." and parsed.params == {}


def test_multiline_description_without_sections_is_dedented():
    parsed = parse_docstring('''First line.
        Second line,
        third line.
        ''')
    assert parsed.description == "First line.\nSecond line,\nthird line."
    assert parsed.params == {}


# ----------------------------------------------------------------------------- through the schema


def _google(city: str, days: int = 3) -> str:
    """Get the forecast.

    Args:
        city (str): The city
            name.
        days (int): How many days.

    Returns:
        str: the forecast.
    """
    return city


def _numpy(city: str, days: int = 3) -> str:
    """Get the forecast.

    Parameters
    ----------
    city : str
        The city
        name.
    days : int
        How many days.

    Returns
    -------
    str
        the forecast.
    """
    return city


def _rest(city: str, days: int = 3) -> str:
    """Get the forecast.

    :param str city: The city
        name.
    :param days: How many days.
    :returns: the forecast.
    """
    return city


@pytest.mark.parametrize("fn", [_google, _numpy, _rest], ids=["google", "numpy", "rest"])
def test_docstring_styles_reach_the_schema(fn):
    schema = Function(fn).schema["function"]
    assert schema["description"] == "Get the forecast."
    props = schema["parameters"]["properties"]
    assert props["city"] == {"type": "string", "description": "The city name."}
    assert props["days"] == {"type": "integer", "default": 3, "description": "How many days."}
    assert schema["parameters"]["required"] == ["city"]


def test_docstring_param_for_unknown_name_is_ignored_and_types_come_from_signature():
    def f(a: int) -> int:
        """Do it.

        Args:
            a (str): The a.
            ghost (int): Not a parameter.
        """
        return a

    params = Function(f).parameters
    assert params["properties"] == {"a": {"type": "integer", "description": "The a."}}


def test_no_docstring_gives_empty_description_and_no_property_descriptions():
    def f(a: int) -> int:
        return a

    schema = Function(f).schema["function"]
    assert schema["description"] == ""
    assert schema["parameters"]["properties"] == {"a": {"type": "integer"}}
