from __future__ import annotations

from fpgagan.report.pareto import pareto_front, pareto_plot


def test_front_keeps_exactly_the_undominated_points():
    points = [
        (1.0, 15.0),  # float: best FID
        (8.0, 18.0),  # on the front
        (8.0, 19.0),  # dominated by the previous (same ratio, worse FID)
        (4.0, 20.0),  # dominated (less compressed and worse than 8x/18)
        (16.0, 25.0),  # on the front: the most compressed
        (16.0, 25.0),  # a tie with the previous: neither dominates the other
    ]
    assert pareto_front(points) == {0, 1, 4, 5}


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "p.png"
    pareto_plot(
        [("float", 1.0, 15.0, True), ("w4", 8.0, 18.0, True), ("w2", 16.0, 30.0, False)],
        path,
        teacher_fid=15.0,
        targets=((16.0, 1.25),),
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_labels_of_coinciding_points_are_stacked():
    from fpgagan.report.pareto import label_ranks

    # b's label starts where a's runs (0.37 octaves right, same height); c, d sit on a; e is
    # lower, f far to the right
    points = [("a", 26.2, 26.09, False), ("b", 33.8, 26.07, False), ("c", 26.2, 26.10, False)]
    points += [("d", 26.1, 26.08, False), ("e", 26.2, 20.0, False), ("f", 64.0, 26.09, False)]
    assert label_ranks(points) == [0, 1, 2, 3, 0, 0]  # the scores span 6.1: "near" is 0.18
