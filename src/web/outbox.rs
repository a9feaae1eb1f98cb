//! The outbox: confirmed photos wait in IndexedDB (`gradcap` database, `outbox` store) until the
//! backend has them, so a reload, a closed tab or a lost connection loses nothing. Beside it, the
//! `receipts` store keeps, for each capture code, the id and receipt of the capture last
//! delivered, so a student who comes back sees its verdict.

use crate::upload::Parcel;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const DATABASE: &str = "gradcap";
const STORE: &str = "outbox";
const RECEIPTS: &str = "receipts";

/// A request's outcome as a promise (`result` on success, the error otherwise).
fn settle(request: &IdbRequest) -> Promise {
    let request = request.clone();
    Promise::new(&mut |resolve, reject| {
        let r = request.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::UNDEFINED, &r.result().unwrap_or(JsValue::UNDEFINED));
        });
        let fail = Closure::once_into_js(move |e: JsValue| {
            let _ = reject.call1(&JsValue::UNDEFINED, &e);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(fail.unchecked_ref()));
    })
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window().ok_or("no window")?.indexed_db()?.ok_or("no IndexedDB")?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, 2)?;
    let upgrade = Closure::once_into_js(move |e: web_sys::Event| {
        let db = e
            .target()
            .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db {
            // Version 1 had the outbox; version 2 adds the receipts.
            for (store, key) in [(STORE, "key"), (RECEIPTS, "captureCode")] {
                if !db.object_store_names().contains(store) {
                    let params = web_sys::IdbObjectStoreParameters::new();
                    params.set_key_path(&JsValue::from_str(key));
                    let _ = db.create_object_store_with_optional_parameters(store, &params);
                }
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    JsFuture::from(settle(&request)).await?.dyn_into()
}

async fn run(
    mode: IdbTransactionMode,
    f: &dyn Fn(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
) -> Result<JsValue, JsValue> {
    run_on(STORE, mode, f).await
}

/// Runs one request `f` on `store` (one body for every request: smaller wasm than a generic).
async fn run_on(
    store: &str,
    mode: IdbTransactionMode,
    f: &dyn Fn(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
) -> Result<JsValue, JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(store, mode)?;
    let request = f(&tx.object_store(store)?)?;
    let result = JsFuture::from(settle(&request)).await;
    db.close();
    result
}

/// A photo waiting in the outbox: its [`Parcel`], and the record IndexedDB keeps (the parcel's
/// fields, with the two JPEGs beside them as `photo` and `original`).
pub struct Item {
    pub parcel: Parcel,
    record: Object,
}

impl Item {
    /// The record of `parcel` with its standard photo and its original (empty: none).
    pub fn new(parcel: Parcel, photo: &[u8], original: &[u8]) -> Result<Item, JsValue> {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let record: Object = serde::Serialize::serialize(&parcel, &serializer)?.dyn_into()?;
        Reflect::set(&record, &"photo".into(), &Uint8Array::from(photo))?;
        Reflect::set(&record, &"original".into(), &Uint8Array::from(original))?;
        Ok(Item { parcel, record })
    }

    /// A record read back; `None` for one this version cannot read.
    fn read(record: Object) -> Option<Item> {
        let parcel = serde_wasm_bindgen::from_value(record.clone().into()).ok()?;
        Some(Item { parcel, record })
    }

    /// The standard photo's bytes (a `Uint8Array`).
    pub fn photo(&self) -> JsValue {
        field(&self.record, "photo")
    }

    /// The original frame's bytes (a `Uint8Array`, empty when none was kept).
    pub fn original(&self) -> JsValue {
        field(&self.record, "original")
    }
}

/// Keeps `item` until [`remove`] is called with its key.
pub async fn put(item: &Item) -> Result<(), JsValue> {
    run(IdbTransactionMode::Readwrite, &|s| s.put(&item.record)).await.map(|_| ())
}

/// Forgets the item with `key`.
pub async fn remove(key: &str) -> Result<(), JsValue> {
    run(IdbTransactionMode::Readwrite, &|s| s.delete(&JsValue::from_str(key))).await.map(|_| ())
}

/// Every item waiting (a record this version cannot read is left where it is, with a warning).
pub async fn all() -> Result<Vec<Item>, JsValue> {
    let records = run(IdbTransactionMode::Readonly, &|s| s.get_all()).await?;
    let mut items = Vec::new();
    for record in records.dyn_into::<Array>()?.iter().filter_map(|v| v.dyn_into::<Object>().ok()) {
        match Item::read(record.clone()) {
            Some(item) => items.push(item),
            None => web_sys::console::warn_2(&"gradcap: an outbox record could not be read".into(), &record),
        }
    }
    Ok(items)
}

/// Keeps `receipt` (`{captureCode, id, receipt}`) as the capture code's latest.
pub async fn keep_receipt(receipt: &Object) -> Result<(), JsValue> {
    run_on(RECEIPTS, IdbTransactionMode::Readwrite, &|s| s.put(receipt)).await.map(|_| ())
}

/// The receipt kept for `capture_code`, if any.
pub async fn receipt_for(capture_code: &str) -> Result<Option<Object>, JsValue> {
    let found =
        run_on(RECEIPTS, IdbTransactionMode::Readonly, &|s| s.get(&JsValue::from_str(capture_code))).await?;
    Ok(found.dyn_into::<Object>().ok())
}

/// Forgets the receipt of `capture_code` (the backend no longer has that capture).
pub async fn forget_receipt(capture_code: &str) -> Result<(), JsValue> {
    run_on(RECEIPTS, IdbTransactionMode::Readwrite, &|s| s.delete(&JsValue::from_str(capture_code)))
        .await
        .map(|_| ())
}

/// A field of an outbox item.
pub fn field(item: &Object, name: &str) -> JsValue {
    Reflect::get(item, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}
