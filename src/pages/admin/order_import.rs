//! 订单导入 (SPEC §12.3, main account): the platform's order file, chosen or dropped, uploaded with
//! a real progress bar (`XMLHttpRequest`'s upload events: `fetch` reports none), then the server's
//! report: the counts and the rejected lines with their line, order, column and reason, which
//! download as CSV so the file can be fixed and imported again (importing is idempotent).

use std::cell::RefCell;

use leptos::prelude::*;
use payout_core::orders::{Column, ImportRejection, ImportReport};
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{File, ProgressEvent, XmlHttpRequest};

use crate::api::{self, ApiError};
use crate::components::feedback::{error_text, Gate};
use crate::i18n::{use_lang, Lang};

/// Where the file goes.
pub const IMPORT_PATH: &str = "/api/orders/import";

/// SPEC §12.3's limits, said before uploading (the server decides: `payout_core::import`, which
/// the SPA does not build, as it brings a CSV reader and the GB18030 tables).
const MAX_BYTES: u64 = 50 * 1024 * 1024;
/// The report lists at most this many rejections.
const MAX_REJECTIONS: usize = 1_000;

#[component]
pub fn OrderImport() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <ImportScreen />
        </Gate>
    }
}

/// Where an upload stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    /// Bytes sent so far of the whole file.
    Uploading {
        sent: f64,
        total: f64,
    },
    /// Every byte is sent; the server is reading the file.
    Importing,
    Done(ImportReport),
    Failed(ApiError),
}

impl Phase {
    fn busy(&self) -> bool {
        matches!(self, Phase::Uploading { .. } | Phase::Importing)
    }
}

/// The file chosen, with what the page shows of it.
#[derive(Clone)]
struct Chosen {
    file: SendWrapper<File>,
    name: String,
    size: f64,
}

#[component]
fn ImportScreen() -> impl IntoView {
    let lang = use_lang();
    let chosen = RwSignal::new(None::<Chosen>);
    let phase = RwSignal::new(Phase::Idle);
    let dragging = RwSignal::new(false);
    let choose = move |file: Option<File>| {
        if phase.get_untracked().busy() {
            return;
        }
        if let Some(file) = file {
            let (name, size) = (file.name(), file.size());
            chosen.set(Some(Chosen { file: SendWrapper::new(file), name, size }));
            phase.set(Phase::Idle);
        }
    };
    let too_large = move || chosen.with(|c| c.as_ref().is_some_and(|c| c.size > MAX_BYTES as f64));
    let start = move || {
        if phase.get_untracked().busy() || too_large() {
            return;
        }
        if let Some(c) = chosen.get_untracked() {
            phase.set(Phase::Uploading { sent: 0.0, total: c.size });
            if upload(&c.file, phase).is_err() {
                phase.set(Phase::Failed(api::error_of(0, "")));
            }
        }
    };
    view! {
        <section class="page" aria-labelledby="import-title">
            <h1 id="import-title">{move || lang.get().pick("订单导入", "Order import")}</h1>
            <p class="muted">
                {move || lang.get().pick(
                    "上传平台导出的订单文件（CSV，UTF-8 或 GB18030/GBK，最大 50 MB、20 万行）。每行一个商品；有问题的订单整单不导入，其余照常导入。同一文件重复导入不会重复创建订单。",
                    "Upload the order file exported from the platform (CSV in UTF-8 or GB18030/GBK, at most 50 MB and 200,000 lines). One row per line item; an order with a bad line is left out whole, the others are imported. Importing the same file again changes nothing.",
                )}
            </p>
            <details class="import__columns">
                <summary>{move || lang.get().pick("文件的列", "The file's columns")}</summary>
                <ul class="plain-list">
                    {Column::ALL.into_iter().map(|c| {
                        let required = Column::REQUIRED.contains(&c);
                        view! {
                            <li>
                                <span class="mono">{c.label_zh()} " / " {c.as_str()}</span>
                                {required.then(|| view! { " " <span class="tag">{move || lang.get().pick("必填", "required")}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </details>
            <form
                class="card"
                on:submit=move |ev| {
                    ev.prevent_default();
                    start();
                }
            >
                <label
                    class="dropzone"
                    class:dropzone--over=move || dragging.get()
                    data-testid="import-dropzone"
                    on:dragover=move |ev: web_sys::DragEvent| {
                        ev.prevent_default();
                        dragging.set(true);
                    }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=move |ev: web_sys::DragEvent| {
                        ev.prevent_default();
                        dragging.set(false);
                        choose(ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)));
                    }
                >
                    <input
                        type="file"
                        class="sr-only"
                        accept=".csv,text/csv"
                        data-testid="import-file"
                        disabled=move || phase.with(Phase::busy)
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            choose(input.files().and_then(|f| f.get(0)));
                        }
                    />
                    <span class="dropzone__title">
                        {move || lang.get().pick("选择文件，或把文件拖到这里", "Choose a file, or drop it here")}
                    </span>
                    <span class="dropzone__file" data-testid="import-chosen">
                        {move || chosen.get().map(|c| format!("{} · {}", c.name, size_text(c.size)))}
                    </span>
                </label>
                {move || too_large().then(|| view! {
                    <p class="field__error" role="alert" data-testid="import-too-large">
                        {move || lang.get().pick("文件超过 50 MB，请拆分后分别导入", "The file is larger than 50 MB; split it and import the parts")}
                    </p>
                })}
                <div class="form__actions form__actions--start">
                    <button
                        type="submit"
                        class="btn btn--primary"
                        data-testid="import-submit"
                        disabled=move || phase.with(Phase::busy) || chosen.with(Option::is_none) || too_large()
                        aria-busy=move || phase.with(Phase::busy).to_string()
                    >
                        {move || if phase.with(Phase::busy) { lang.get().pick("导入中…", "Importing…") } else { lang.get().pick("开始导入", "Import") }}
                    </button>
                </div>
                <Progress phase />
            </form>
            {move || match phase.get() {
                Phase::Done(report) => view! { <Report report /> }.into_any(),
                Phase::Failed(e) => view! {
                    <div class="notice notice--error" role="alert" data-testid="import-error" data-code=e.code.clone()>
                        <strong>{move || lang.get().pick("未导入任何订单：", "Nothing was imported: ")}</strong>
                        {
                            let e = e.clone();
                            move || file_error_text(&e, lang.get())
                        }
                    </div>
                }.into_any(),
                _ => ().into_any(),
            }}
        </section>
    }
}

/// The words for a file the server refused.
fn file_error_text(e: &ApiError, lang: Lang) -> String {
    if e.status == 413 {
        return lang
            .pick(
                "文件超过 50 MB，请拆分后分别导入",
                "The file is larger than 50 MB; split it and import the parts",
            )
            .into();
    }
    error_text(e, lang)
}

/// `1.2 MB`, `830 KB`.
fn size_text(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (bytes / 1024.0).ceil())
    }
}

/// The upload's progress: a real bar while bytes go out, then "the server is reading the file".
#[component]
fn Progress(phase: RwSignal<Phase>) -> impl IntoView {
    let lang = use_lang();
    move || {
        let l = lang.get();
        match phase.get() {
            Phase::Uploading { sent, total } => {
                let pct = if total > 0.0 { (sent / total * 100.0).clamp(0.0, 100.0).floor() } else { 0.0 };
                view! {
                    <div class="upload" data-testid="import-progress" data-percent=pct.to_string()>
                        <progress class="upload__bar" max="100" value=pct.to_string() aria-label=l.pick("上传进度", "Upload progress")></progress>
                        <span class="upload__text" role="status">
                            {format!("{} {pct}%（{} / {}）", l.pick("已上传", "Uploaded"), size_text(sent), size_text(total))}
                        </span>
                    </div>
                }
                .into_any()
            }
            Phase::Importing => view! {
                <div class="upload" data-testid="import-progress" data-percent="100">
                    <progress class="upload__bar" aria-label=l.pick("正在导入", "Importing")></progress>
                    <span class="upload__text" role="status">
                        {l.pick("上传完成，正在导入订单…", "Uploaded; importing the orders…")}
                    </span>
                </div>
            }
            .into_any(),
            _ => ().into_any(),
        }
    }
}

/// An event handler of the upload.
type Handler = Closure<dyn FnMut(JsValue)>;

thread_local! {
    /// The upload's event handlers, dropped when it ends.
    static HANDLERS: RefCell<Vec<Handler>> = const { RefCell::new(Vec::new()) };
}

/// Sends `file` to [`IMPORT_PATH`] with `XMLHttpRequest`, reporting into `phase`.
fn upload(file: &File, phase: RwSignal<Phase>) -> Result<(), JsValue> {
    let xhr = XmlHttpRequest::new()?;
    xhr.open("POST", IMPORT_PATH)?;
    xhr.set_request_header("Content-Type", "text/csv")?;
    if let Some(token) = api::csrf_token() {
        xhr.set_request_header("X-CSRF-Token", &token)?;
    }
    let on_progress = Handler::new(move |ev: JsValue| {
        let ev: ProgressEvent = ev.unchecked_into();
        if ev.length_computable() {
            phase.try_set(Phase::Uploading { sent: ev.loaded(), total: ev.total() });
        }
    });
    let on_sent = Handler::new(move |_| {
        phase.try_set(Phase::Importing);
    });
    let answered = xhr.clone();
    let on_end = Handler::new(move |_| {
        let status = answered.status().unwrap_or(0);
        let body = answered.response_text().ok().flatten().unwrap_or_default();
        let next = if status == 200 {
            api::from_json::<ImportReport>(&body)
                .map(Phase::Done)
                .unwrap_or_else(|| Phase::Failed(api::error_of(502, "")))
        } else {
            Phase::Failed(api::error_of(status, &body))
        };
        phase.try_set(next);
        // Not from inside this very handler: after it has returned.
        let clear = Closure::once_into_js(|| HANDLERS.with(|h| h.borrow_mut().clear()));
        let _ = window().set_timeout_with_callback(clear.unchecked_ref());
    });
    let target = xhr.upload()?;
    target.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    target.set_onload(Some(on_sent.as_ref().unchecked_ref()));
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    HANDLERS.with(|h| h.borrow_mut().extend([on_progress, on_sent, on_end]));
    xhr.send_with_opt_blob(Some(file))
}

/// The column as the file's header names it, in the person's language.
fn column_name(lang: Lang, c: Column) -> &'static str {
    lang.pick(c.label_zh(), c.as_str())
}

#[component]
fn Report(report: ImportReport) -> impl IntoView {
    let lang = use_lang();
    let fact = move |testid: &'static str, zh: &'static str, en: &'static str, n: u64| {
        view! {
            <div data-testid=testid>
                <dt>{move || lang.get().pick(zh, en)}</dt>
                <dd>{n}</dd>
            </div>
        }
    };
    let rejected = report.rejected.clone();
    let capped = rejected.len() >= MAX_REJECTIONS;
    let csv_rows = StoredValue::new(rejected.clone());
    let download = move |_| {
        let text = csv_rows.with_value(|rows| rejections_csv(rows, lang.get_untracked()));
        save_csv(&text, "order-import-rejected.csv");
    };
    view! {
        <section class="card report" aria-labelledby="report-title" data-testid="import-report">
            <h2 id="report-title" class="card__title">{move || lang.get().pick("导入结果", "Import report")}</h2>
            <dl class="facts">
                {fact("import-lines", "读取行数", "Lines read", report.lines)}
                {fact("import-created", "新建订单", "Orders created", report.orders_created)}
                {fact("import-updated", "更新订单", "Orders updated", report.orders_updated)}
                {fact("import-unchanged", "无变化", "Unchanged", report.orders_unchanged)}
                {fact("import-rejected-count", "未导入订单", "Orders rejected", report.orders_rejected)}
            </dl>
            {if rejected.is_empty() {
                view! { <p class="notice notice--success" data-testid="import-all-ok">{move || lang.get().pick("所有订单均已导入", "Every order was imported")}</p> }.into_any()
            } else {
                view! {
                    <div class="report__head">
                        <p class="report__lead">
                            {move || lang.get().pick(
                                "以下行有问题，所在订单整单未导入。请在原文件中修改后重新导入（已导入的订单不会重复创建）。",
                                "These lines have problems; their orders were not imported. Fix them in the file and import it again (orders already imported are not created twice).",
                            )}
                            {capped.then(|| view! { " " <span>{move || lang.get().pick("仅列出前 1,000 条。", "Only the first 1,000 are listed.")}</span> })}
                        </p>
                        <button type="button" class="btn" data-testid="import-download" on:click=download>
                            {move || lang.get().pick("下载问题清单（CSV）", "Download the problems (CSV)")}
                        </button>
                    </div>
                    <div class="table-wrap">
                        <table class="table table--compact table--cards" data-testid="import-rejected">
                            <thead>
                                <tr>
                                    <th scope="col" class="num">{move || lang.get().pick("行号", "Line")}</th>
                                    <th scope="col">{move || lang.get().pick("订单号", "Order")}</th>
                                    <th scope="col">{move || lang.get().pick("列", "Column")}</th>
                                    <th scope="col">{move || lang.get().pick("原因", "Reason")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rejected.into_iter().map(|r| view! { <RejectedRow r /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn RejectedRow(r: ImportRejection) -> impl IntoView {
    let lang = use_lang();
    let column = r.column;
    view! {
        <tr data-testid="import-rejected-row" data-line=r.line.to_string() data-code=r.code.clone()>
            <td class="num" data-label=move || lang.get().pick("行号", "Line")>{r.line}</td>
            <td data-label=move || lang.get().pick("订单号", "Order")><span class="mono break">{r.order_no.clone()}</span></td>
            <td data-label=move || lang.get().pick("列", "Column")>
                {move || column.map(|c| column_name(lang.get(), c)).unwrap_or("—")}
            </td>
            <td class="cell-reason" data-label=move || lang.get().pick("原因", "Reason") data-testid="import-reason">
                {move || lang.get().pick(&r.message_zh, &r.message_en).to_owned()}
            </td>
        </tr>
    }
}

/// One CSV field: quoted when it must be, and a leading `= + - @` defused so a spreadsheet does
/// not run it as a formula (an order number in a bad file can hold anything).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The rejected lines as CSV (UTF-8 with BOM, as the records' export): line, order, column (both
/// headers' names), code and the reason in the person's language.
pub fn rejections_csv(rows: &[ImportRejection], lang: Lang) -> String {
    let mut out = String::from("\u{feff}");
    let header = [
        lang.pick("行号", "line"),
        lang.pick("主订单编号", "order_no"),
        lang.pick("列", "column"),
        lang.pick("错误代码", "code"),
        lang.pick("原因", "reason"),
    ];
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let fields = [
            r.line.to_string(),
            r.order_no.clone(),
            r.column.map(|c| column_name(lang, c)).unwrap_or("").to_owned(),
            r.code.clone(),
            lang.pick(&r.message_zh, &r.message_en).to_owned(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Offers `text` as a download named `name`.
fn save_csv(text: &str, name: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = document().create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Once the browser has taken the download.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
}
