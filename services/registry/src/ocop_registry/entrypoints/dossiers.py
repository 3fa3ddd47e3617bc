"""The dossier's HTTP API: upload, list, download and delete a product's documents, and its
completeness. Built around a file store (bootstrap passes the configured one)."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse
from ocop_shared.auth import Principal
from ocop_shared.errors import InvalidInput
from ocop_shared.runtime import unit_of_work

from ..adapters.file_store import FileStore, StoredFileMissing
from ..domain.dossiers import DocumentType
from ..service_layer import commands
from .access import producers_or_officials, product_for, readers
from .schemas import DocumentOut, DossierOut

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes; 413 as soon as it is larger than `limit`."""
    parts, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidInput(
                "file_too_large",
                f"the file is larger than the {limit} bytes ({limit / 1024 / 1024:g} MiB) "
                f"a dossier document may have", field="file", status=413)
        parts.append(chunk)
    return b"".join(parts)


def _metadata(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInput("invalid_metadata", "metadata must be a JSON object",
                           field="metadata")
    return value


def build_dossier_router(store: FileStore, *, max_upload_bytes: int) -> APIRouter:
    router = APIRouter(tags=["dossiers"])

    @router.post("/products/{product_id}/documents", status_code=status.HTTP_201_CREATED,
                 response_model=DocumentOut)
    async def upload_document(
        product_id: uuid.UUID,
        request: Request,
        file: UploadFile = File(description="The document (at most the configured size, "
                                            "20 MiB by default)"),
        type: DocumentType = Form(description="The document type (a code)"),  # noqa: A002
        title: str = Form(min_length=1, max_length=300),
        metadata: str | None = Form(None, description="A JSON object of further details"),
        principal: Principal = Depends(producers_or_officials),
    ) -> dict:
        """Add a document to a product's dossier (multipart: file, type, title, optional
        metadata). 413 when the file is too large; 409 while the product is under
        evaluation."""
        extra = _metadata(metadata)
        async with unit_of_work(request) as session:
            await product_for(session, principal, product_id)
        content = await _read_limited(file, max_upload_bytes)
        sha256, size = store.put(content)
        async with unit_of_work(request) as session:
            return await commands.add_document(session, product_id, {
                "type": type.value, "title": title.strip() or type.name_vi,
                "file_name": (file.filename or "document")[:300],
                "media_type": file.content_type or "application/octet-stream",
                "size": size, "sha256": sha256, "uploaded_by": principal.subject,
                "metadata": extra,
            })

    @router.get("/products/{product_id}/documents", response_model=list[DocumentOut])
    async def list_documents(
        product_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
    ) -> list[dict]:
        async with unit_of_work(request) as session:
            await product_for(session, principal, product_id)
            return await commands.list_documents(session, product_id)

    @router.get("/products/{product_id}/documents/{doc_id}/content",
                response_class=Response,
                responses={200: {"content": {"application/octet-stream": {}}}})
    async def document_content(
        product_id: uuid.UUID, doc_id: uuid.UUID, request: Request,
        principal: Principal = Depends(readers),
    ) -> Response:
        """The document's file, its checksum verified (500 "stored file corrupt" when the
        stored bytes do not match)."""
        async with unit_of_work(request) as session:
            await product_for(session, principal, product_id)
            document = await commands.get_document(session, product_id, doc_id)
        try:
            content = store.open(document["sha256"])
        except StoredFileMissing:
            content = None
        if content is None or hashlib.sha256(content).hexdigest() != document["sha256"]:
            log.error("stored file corrupt or missing: document %s of product %s, sha256 %s",
                      doc_id, product_id, document["sha256"])
            return JSONResponse(status_code=500, content={
                "error": "stored_file_corrupt", "detail": "stored file corrupt",
                "field": None})
        return Response(content, media_type=document["media_type"], headers={
            "Content-Disposition":
                f"attachment; filename*=UTF-8''{quote(document['file_name'])}",
            "ETag": f'"{document["sha256"]}"',
        })

    @router.delete("/products/{product_id}/documents/{doc_id}",
                   status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
    async def delete_document(
        product_id: uuid.UUID, doc_id: uuid.UUID, request: Request,
        principal: Principal = Depends(producers_or_officials),
    ) -> Response:
        """Remove a document; only while the product is draft or not recognised (409)."""
        async with unit_of_work(request) as session:
            await product_for(session, principal, product_id)
            await commands.delete_document(session, product_id, doc_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get("/products/{product_id}/dossier", response_model=DossierOut)
    async def get_dossier(
        product_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
    ) -> dict:
        """The dossier's completeness for the product's set: items present and mandatory
        items missing (submitting is refused while any is missing)."""
        async with unit_of_work(request) as session:
            await product_for(session, principal, product_id)
            return await commands.dossier(session, product_id)

    return router
