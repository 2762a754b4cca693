use std::borrow::Cow;

use leptos::prelude::*;

/// One column heading of a [`DataTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    text: Cow<'static, str>,
    /// Holds numbers: right-aligned, like its cells (`class="num"`).
    num: bool,
    /// The row's buttons: a heading only screen readers hear.
    actions: bool,
}

impl Column {
    pub fn text(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            text: text.into(),
            num: false,
            actions: false,
        }
    }

    pub fn num(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            num: true,
            ..Self::text(text)
        }
    }

    /// The column of a row's buttons.
    pub fn actions() -> Self {
        Self {
            actions: true,
            ..Self::text("Actions")
        }
    }
}

/// A table that scrolls sideways on a narrow screen instead of the page, with a caption
/// for screen readers and a heading row; the rows are its children.
#[component]
pub fn DataTable(
    /// What the table lists, for screen readers.
    #[prop(into)]
    caption: String,
    columns: Vec<Column>,
    /// Extra classes of the table (`table--compact`).
    #[prop(optional)]
    class: Option<&'static str>,
    #[prop(optional, into)] testid: MaybeProp<&'static str>,
    children: Children,
) -> impl IntoView {
    let testid = testid.get();
    let class = match class {
        Some(extra) => format!("table {extra}"),
        None => "table".to_owned(),
    };
    // Focusable and named: a keyboard can scroll a table wider than the screen.
    let region = caption.clone();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=region>
            <table class=class data-testid=testid>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {columns.into_iter().map(|c| if c.actions {
                            view! { <th scope="col"><span class="visually-hidden">{c.text}</span></th> }.into_any()
                        } else {
                            view! { <th scope="col" class:num=c.num>{c.text}</th> }.into_any()
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// A titled card holding a [`DataTable`], or a note instead when it has no rows: the
/// shape of the admin pages' lists.
#[component]
pub fn TableCard(
    /// The heading's id; the card is labelled by it.
    id: &'static str,
    title: &'static str,
    /// Said instead of the table when `empty`.
    empty_note: &'static str,
    empty: bool,
    #[prop(into)] caption: String,
    columns: Vec<Column>,
    #[prop(optional, into)] testid: MaybeProp<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card stack" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {if empty {
                view! { <p class="empty-note">{empty_note}</p> }.into_any()
            } else {
                view! { <DataTable caption columns testid>{children()}</DataTable> }.into_any()
            }}
        </section>
    }
}
