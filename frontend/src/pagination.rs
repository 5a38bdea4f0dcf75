//! Which page links a listing shows: always the first and last page, a window around the
//! current one, and gaps where pages are left out.

/// One item of a pagination bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageLink {
    Page(u32),
    Gap,
}

/// How many pages either side of the current one get a link.
const WINDOW: u32 = 2;

/// The links for `current` of `total` pages. Nothing when everything fits on one page.
pub fn links(current: u32, total: u32) -> Vec<PageLink> {
    if total <= 1 {
        return Vec::new();
    }
    let current = current.clamp(1, total);
    let from = current.saturating_sub(WINDOW).max(1);
    let to = (current + WINDOW).min(total);
    let mut links = Vec::new();
    if from > 1 {
        links.push(PageLink::Page(1));
        // A gap of a single page is shown as that page.
        if from == 3 {
            links.push(PageLink::Page(2));
        } else if from > 3 {
            links.push(PageLink::Gap);
        }
    }
    links.extend((from..=to).map(PageLink::Page));
    if to < total {
        if to + 2 == total {
            links.push(PageLink::Page(total - 1));
        } else if to + 2 < total {
            links.push(PageLink::Gap);
        }
        links.push(PageLink::Page(total));
    }
    links
}

/// The page an address asks for: none, or one that is not a page, counts as 1.
pub fn page_number(page: Option<u32>) -> u32 {
    page.filter(|page| *page >= 1).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::PageLink::{Gap, Page};
    use super::*;

    #[test]
    fn one_page_needs_no_links() {
        assert!(links(1, 0).is_empty());
        assert!(links(1, 1).is_empty());
    }

    #[test]
    fn few_pages_are_all_shown() {
        assert_eq!(links(1, 3), vec![Page(1), Page(2), Page(3)]);
        assert_eq!(links(4, 7), (1..=7).map(Page).collect::<Vec<_>>());
    }

    #[test]
    fn many_pages_keep_the_ends_and_a_window() {
        assert_eq!(links(1, 23), vec![Page(1), Page(2), Page(3), Gap, Page(23)]);
        assert_eq!(
            links(12, 23),
            vec![
                Page(1),
                Gap,
                Page(10),
                Page(11),
                Page(12),
                Page(13),
                Page(14),
                Gap,
                Page(23)
            ]
        );
        assert_eq!(
            links(23, 23),
            vec![Page(1), Gap, Page(21), Page(22), Page(23)]
        );
    }

    #[test]
    fn a_page_past_the_end_shows_the_last() {
        assert_eq!(
            links(40, 5),
            vec![Page(1), Page(2), Page(3), Page(4), Page(5)]
        );
    }

    #[test]
    fn page_numbers_from_the_address_bar() {
        assert_eq!(page_number(Some(3)), 3);
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some(0)), 1);
    }
}
