"""axe-core with WCAG 2.2's target-size rule switched on (axe ships it off): the
`axe()` fixture's check plus "every target at least 24 × 24 px, or spaced so"."""

from conftest import AXE_SOURCE


def axe_with_target_size(page) -> list[str]:
    """The page's axe-core violations, target-size included, one line per element;
    [] is clean."""
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate(
        """() => axe.run(document, {
            resultTypes: ['violations'],
            rules: {'target-size': {enabled: true}},
        })"""
    )
    return [
        f"{page.url} {violation['id']}: {node['target']} {node['failureSummary']}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]
